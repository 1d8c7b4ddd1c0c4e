package render

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/telegrafcontroller/tc"
)

// FuzzRender renders a template with a value for its parameter p. A render
// never panics; when the template renders to TOML with a harmless value and
// the value is accepted, the output parses too (by go-toml's decoder, which
// the renderer does not use for this) and defines the same keys, unless p
// stands in a key, where its value names one.
func FuzzRender(f *testing.F) {
	for _, seed := range [][2]string{
		{"[t]\ninline = { a = '&{p:x}' }\n", "x', b = 'injected"},
		{"[t]\nbare = &{p:1}\n", "1 # comment"},
		{"[t]\nbare = [&{p}, 2]\nb = { c = &{p} }\n", "1, d = 2"},
		{"[t]\na = \"&{p}\"\nb = \"\"\"&{p}\"\"\"\n", `x", b = "y`},
		{"[t]\na = '''&{p}'''\nb = 1\n", "x'''\nb = '''"},
		{"[t]\na = '''''&{p}'''\n", "'"},
		{"[t]\na = '&{q:'}&{p}'\n", "1, b = 2"},
		{"[t]\na = 1 &{q:#} &{p}\n", "x\nb = 2"},
		{"[t]\na = \"\\u00&{p}\"\n", "zz"},
		{"[t]\n'&{p}' = 1\n\"&{p}\" = 2\n[t.&{p}]\n", "a.b"},
		{"[t]\na = ::{c}&{p}\n", "1979-05-27 07:32:00"},
		{"[[inputs.&{p}]]\n", "1.5"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, src, value string) {
		tmpl := Parse(src)
		consts := map[string]string{"c": "2"}
		out, err := tmpl.Render(nil, map[string][]string{"p": {value}}, consts)
		if err != nil {
			if tc.ErrorCode(err) != tc.EINVALID {
				t.Fatalf("render error %v is not EINVALID", err)
			}
			return
		}
		harmless, err := tmpl.Render(nil, map[string][]string{"p": {marker}}, consts)
		if err != nil {
			t.Fatalf("%q renders with %q but not with %q: %v", src, value, marker, err)
		}
		want, ok := decodedKeys(harmless)
		if !ok {
			return // the template itself is not TOML
		}
		got, ok := decodedKeys(out)
		if !ok {
			t.Fatalf("%q with p=%q renders unreadable TOML:\n%s", src, value, out)
		}
		if slices.ContainsFunc(want, func(k string) bool { return strings.Contains(k, marker) }) {
			return // p names a key
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%q with p=%q defines keys %q, want %q; output:\n%s", src, value, got, want, out)
		}
	})
}

// decodedKeys lists the key paths doc defines, sorted, or false when it is
// not TOML.
func decodedKeys(doc []byte) ([]string, bool) {
	var m map[string]any
	if err := toml.Unmarshal(doc, &m); err != nil {
		return nil, false
	}
	var keys []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				keys = append(keys, prefix+"\x00"+k)
				walk(prefix+"\x00"+k, v[k])
			}
		case []any:
			for _, e := range v {
				walk(prefix+"\x00[]", e)
			}
		}
	}
	walk("", m)
	slices.Sort(keys)
	return keys, true
}
