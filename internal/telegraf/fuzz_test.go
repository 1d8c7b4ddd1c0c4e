package telegraf

import (
	"strings"
	"testing"
)

// FuzzValidate checks that no input panics References or Validate, and that
// what they report stays inside the document.
func FuzzValidate(f *testing.F) {
	for _, seed := range []string{
		"[[inputs.cpu]]\n  percpu = &{p:true}\n",
		"x = \"&{a:\"b\"}\" # ${C}\n[[outputs.file]]\n password = \"x\"\n",
		"[agent]\n[[agent]]\na.b = 0x10\n",
		"s = '''\n@{s:k}\n'''\n\"\"\"",
		"[inputs]\ncpu = {a.b = inf}\n[[processors.x]]\n[foo]",
		"&{k} = 1\n::{c} = \"$${x}\"",
		"\xff\xfe[[\"é\"]]\r\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		lines := strings.Count(src, "\n") + 1
		end := 0
		for _, r := range References(src) {
			if r.Start < end || r.End <= r.Start || r.End > len(src) || src[r.End-1] != '}' {
				t.Fatalf("reference %+v out of order or range in %q", r, src)
			}
			end = r.End
		}
		rep := Validate(src)
		for _, p := range append(rep.Errors, rep.Warnings...) {
			if p.Line < 1 || p.Line > lines || p.Column < 1 || p.Message == "" {
				t.Fatalf("problem %+v outside the document %q", p, src)
			}
		}
	})
}
