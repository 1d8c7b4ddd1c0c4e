package render

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/telegrafcontroller/tc"
)

func TestTemplateRender(t *testing.T) {
	consts := map[string]string{"region": "eu-west", "db_url": "http://db:8086"}
	tests := []struct {
		name, toml string
		query      map[string][]string
		want       string
		wantErr    []string // substrings of the error message
	}{
		{name: "plain", toml: "a = 1\n", want: "a = 1\n"},
		{name: "param", toml: `id = "&{agent_id}"`, query: map[string][]string{"agent_id": {"a1"}}, want: `id = "a1"`},
		{name: "default with colons", toml: `u = "&{db:https://localhost:8181}"`, want: `u = "https://localhost:8181"`},
		{name: "value beats default", toml: `u = "&{db:x}"`, query: map[string][]string{"db": {"y"}}, want: `u = "y"`},
		{name: "empty default", toml: `u = "&{db:}"`, want: `u = ""`},
		{name: "repeated joined", toml: `urls = ["&{t}"]`, query: map[string][]string{"t": {"a", "b"}}, want: `urls = ["a", "b"]`},
		{name: "unknown params ignored", toml: `x = 1`, query: map[string][]string{"zzz": {"1"}}, want: `x = 1`},
		{name: "env and secrets untouched", toml: `t = "${TOKEN}" s = "@{vault:k}" e = "${X:-d}"`, want: `t = "${TOKEN}" s = "@{vault:k}" e = "${X:-d}"`},
		{name: "constants", toml: `r = "::{region}" d = "::{db_url}/x"`, want: `r = "eu-west" d = "http://db:8086/x"`},
		{name: "not a reference", toml: `r = "::{a b}" s = "a::b" p = "&{}"`, want: `r = "::{a b}" s = "a::b" p = "&{}"`},
		{name: "comments untouched", toml: "# needs &{x} and ::{nope}\na = 1 # &{y}\n", want: "# needs &{x} and ::{nope}\na = 1 # &{y}\n"},
		{name: "default per occurrence", toml: `a = "&{x:d1}" b = "&{x:d2}"`, want: `a = "d1" b = "d2"`},
		{name: "required if any occurrence lacks a default", toml: `a = "&{x:d1}" b = "&{x}"`, wantErr: []string{"missing required parameters: x"}},
		{name: "unclosed stays literal", toml: "a = \"&{x\"\nb = \"}\"", want: "a = \"&{x\"\nb = \"}\""},
		{name: "value not re-expanded", toml: `a = "&{x}"`, query: map[string][]string{"x": {"::{region}&{y}"}}, want: `a = "::{region}&{y}"`},
		{name: "all missing listed", toml: `a = "&{one}" b = "&{two}" c = "&{one}" d = "&{three:ok}"`, wantErr: []string{"missing required parameters: one, two"}},
		{name: "quote refused", toml: `a = "&{x}"`, query: map[string][]string{"x": {`a"b`}}, wantErr: []string{"x"}},
		{name: "backslash refused", toml: `a = "&{x}"`, query: map[string][]string{"x": {`a\b`}}, wantErr: []string{"backslash"}},
		{name: "newline refused", toml: `a = "&{x}"`, query: map[string][]string{"x": {"ok", "a\nb"}}, wantErr: []string{"newline"}},
		{name: "invalid UTF-8 refused", toml: `a = "&{x}"`, query: map[string][]string{"x": {"caf\xe9"}}, wantErr: []string{"UTF-8", "x"}},
		{name: "UTF-8 kept", toml: `a = "&{x}"`, query: map[string][]string{"x": {"café ☕"}}, want: `a = "café ☕"`},
		{name: "undefined constants listed", toml: `a = "::{nope}" b = "::{gone}" c = "::{region}"`, wantErr: []string{"undefined constants: nope, gone"}},
		{name: "everything at once", toml: `a = "&{m}" b = "::{nope}"`, wantErr: []string{"missing required parameters: m", "undefined constants: nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.toml).Render(nil, tt.query, consts)
			if tt.wantErr != nil {
				if tc.ErrorCode(err) != tc.EINVALID {
					t.Fatalf("err = %v, want EINVALID", err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(tc.ErrorMessage(err), w) {
						t.Errorf("message %q lacks %q", tc.ErrorMessage(err), w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConstantNames(t *testing.T) {
	got := ConstantNames(`a = "::{x}" b = "::{y_1}" c = "::{x}" # ::{z}`)
	if strings.Join(got, ",") != "x,y_1" {
		t.Errorf("got %v, want [x y_1]", got)
	}
}

// TestRenderContexts covers what a value may hold in each TOML context a
// parameter can stand in (issue 11, finding 7).
func TestRenderContexts(t *testing.T) {
	one := func(name, v string) map[string][]string { return map[string][]string{name: {v}} }
	tests := []struct {
		name, toml string
		query      map[string][]string
		want       string
		wantErr    []string // substrings of the error message
	}{
		// Double-quoted strings: no '"', '\' or control characters.
		{name: "basic takes a single quote", toml: `a = "&{x}"`, query: one("x", "it's"), want: `a = "it's"`},
		{name: "basic refuses a quote", toml: `a = "&{x}"`, query: one("x", `x", b = "y`), wantErr: []string{`parameter "x" stands in a double-quoted string ("...") at line 1`, "double quote"}},
		{name: "multi-line basic takes single quotes", toml: `a = """&{x}"""`, query: one("x", "'''"), want: `a = """'''"""`},
		{name: "multi-line basic refuses quotes", toml: `a = """&{x}"""`, query: one("x", `""`), wantErr: []string{`multi-line double-quoted string`}},

		// Single-quoted strings have no escapes: no "'" at all.
		{name: "literal takes backslashes and double quotes", toml: `a = '&{x}'`, query: one("x", `C:\dir "q"`), want: `a = 'C:\dir "q"'`},
		{name: "literal refuses a single quote", toml: "[t]\ninline = { a = '&{inl:x}' }\n", query: one("inl", "x', b = 'injected"),
			wantErr: []string{`parameter "inl" stands in a single-quoted string ('...') at line 2`, "single quote"}},
		{name: "literal refuses a newline", toml: `a = '&{x}'`, query: one("x", "a\nb = 1"), wantErr: []string{"newline"}},
		{name: "literal refuses DEL", toml: `a = '&{x}'`, query: one("x", "a\x7f"), wantErr: []string{"control character"}},
		{name: "literal takes a tab", toml: `a = '&{x}'`, query: one("x", "a\tb"), want: "a = 'a\tb'"},
		{name: "repeated in a literal stays in it", toml: `a = ['&{x}']`, query: map[string][]string{"x": {"a", "b"}}, want: `a = ['a", "b']`},

		// Multi-line single-quoted strings: no ''' and no quote at either end.
		{name: "multi-line literal takes inner quotes", toml: "a = '''&{x}'''", query: one("x", "it's ''two''!"), want: "a = '''it's ''two''!'''"},
		{name: "multi-line literal refuses three quotes", toml: "a = '''&{x}'''", query: one("x", "a'''\nb = '''"), wantErr: []string{`multi-line single-quoted string`}},
		{name: "multi-line literal refuses a trailing quote", toml: "a = '''&{x}'''", query: one("x", "a'"), wantErr: []string{"end with a single quote"}},
		{name: "multi-line literal refuses a leading quote", toml: "a = '''x&{y}'''", query: one("y", "''b"), wantErr: []string{`parameter "y"`}},

		// Outside quotes: exactly one number, boolean or date-time.
		{name: "bare integer", toml: "n = &{n:1}", query: one("n", "42"), want: "n = 42"},
		{name: "bare default", toml: "n = &{n:1}", want: "n = 1"},
		{name: "bare float", toml: "n = &{n}", query: one("n", "-1.5e3"), want: "n = -1.5e3"},
		{name: "bare boolean", toml: "n = &{n}", query: one("n", "true"), want: "n = true"},
		{name: "bare date-time", toml: "n = &{n}", query: one("n", "1979-05-27T07:32:00Z"), want: "n = 1979-05-27T07:32:00Z"},
		{name: "bare local date-time with a space", toml: "n = &{n}", query: one("n", "1979-05-27 07:32:00"), want: "n = 1979-05-27 07:32:00"},
		{name: "bare local time", toml: "n = &{n}", query: one("n", "07:32:00"), want: "n = 07:32:00"},
		{name: "bare in an array", toml: "n = [&{n}, 2]", query: one("n", "1"), want: "n = [1, 2]"},
		{name: "bare refuses a comment", toml: "bare = &{n:1}", query: one("n", "1 # comment"),
			wantErr: []string{`parameter "n" stands outside quotes at line 1`, "exactly one TOML number, boolean or date-time"}},
		{name: "bare refuses a second key", toml: "t = { p = &{n} }", query: one("n", "1, injected = true"), wantErr: []string{`parameter "n"`}},
		{name: "bare refuses a string", toml: "n = &{n}", query: one("n", `"x"`), wantErr: []string{`parameter "n"`}},
		{name: "bare refuses an array", toml: "n = &{n}", query: one("n", "[1]"), wantErr: []string{`parameter "n"`}},
		{name: "bare refuses a word", toml: "n = &{n}", query: one("n", "cpu"), wantErr: []string{`parameter "n"`}},
		{name: "bare refuses two values", toml: "n = &{n}", query: one("n", "1 2"), wantErr: []string{`parameter "n"`}},
		{name: "bare refuses empty", toml: "n = &{n}", query: one("n", ""), wantErr: []string{`parameter "n"`}},
		{name: "bare refuses a repeat", toml: "n = [&{n}]", query: map[string][]string{"n": {"1", "2"}}, wantErr: []string{"cannot be repeated"}},

		// Every context a parameter stands in must take the value.
		{name: "every context checked", toml: "a = \"&{x}\"\nb = '&{x}'\n", query: one("x", "it's"), wantErr: []string{`parameter "x" stands in a single-quoted string ('...') at line 2`}},
		{name: "invalid UTF-8 named first", toml: `a = '&{x}'`, query: one("x", "'\xff"), wantErr: []string{`parameter "x": the value is not valid UTF-8`}},
		{name: "each refused parameter listed", toml: "a = '&{x}'\nb = &{y}\nc = \"&{z}\"", query: map[string][]string{"x": {"'"}, "y": {"#"}, "z": {"ok"}},
			wantErr: []string{`parameter "x"`, `parameter "y"`}},

		// The structure check catches what the context rules let through: a
		// dotted number adds a table level in a header.
		{name: "header keeps its depth", toml: "[inputs.&{k}]\n", query: one("k", "1.5"), wantErr: []string{"the values of parameters k change the keys or tables"}},
		{name: "header takes a number", toml: "[inputs.&{k}]\n", query: one("k", "7"), want: "[inputs.7]\n"},
		{name: "parameterised literal key", toml: "[t]\n'&{k}' = 1\n", query: one("k", "a.b c"), want: "[t]\n'a.b c' = 1\n"},
		{name: "parameterised key defined twice", toml: "[t]\n'&{k}' = 1\nb = 2\n", query: one("k", "b"), wantErr: []string{"the values of parameters k change the keys"}},
		{name: "quoted key defined twice", toml: "[t]\n\"&{k}\" = 1\nb = \"&{v}\"\n", query: map[string][]string{"k": {"b"}, "v": {"x"}}, wantErr: []string{"the values of parameters k, v change the keys"}},
		{name: "quoted key", toml: "[t]\n\"&{k}\" = 1\nb = \"&{v}\"\n", query: map[string][]string{"k": {"a"}, "v": {"x"}}, want: "[t]\n\"a\" = 1\nb = \"x\"\n"},

		// Contexts are those of the text the agent reads: a default (or a
		// constant) holding a quote moves what follows it.
		{name: "default closes the string", toml: "t = { a = '&{q:'}&{p}' }", query: one("p", ", b = 1, c = "), wantErr: []string{`parameter "p" stands outside quotes at line 1`}},
		{name: "constant closes the string", toml: "t = { a = '::{quote}&{p}' }", query: one("p", ", b = 1, c = "), wantErr: []string{`parameter "p" stands outside quotes`}},
		{name: "default opens a comment", toml: "a = 1 &{q:#} &{p}", query: one("p", "any 'text' \"here\""), want: "a = 1 # any 'text' \"here\""},
		{name: "comment refuses a newline", toml: "a = 1 &{q:#} &{p}", query: one("p", "x\nb = 2"), wantErr: []string{`parameter "p" stands in a comment at line 1`}},
		{name: "given value decides the context", toml: "t = { a = '&{q:'}&{p}' }", query: map[string][]string{"q": {"x"}, "p": {", b = 1, c = "}}, want: "t = { a = 'x, b = 1, c = ' }"},
		{name: "escape checked", toml: `a = "\u00&{p}"`, query: one("p", "zz"), wantErr: []string{"the values of parameters p change the keys or tables of the TOML or make it unreadable"}},
		{name: "escape finished", toml: `a = "\u00&{p}"`, query: one("p", "e9"), want: `a = "\u00e9"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.toml).Render(nil, tt.query, map[string]string{"quote": "'"})
			if tt.wantErr != nil {
				if tc.ErrorCode(err) != tc.EINVALID {
					t.Fatalf("got %q, err = %v, want EINVALID", got, err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(tc.ErrorMessage(err), w) {
						t.Errorf("message %q lacks %q", tc.ErrorMessage(err), w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCheckStructure drives the second line of defence directly with
// outputs the context rules would never let through.
func TestCheckStructure(t *testing.T) {
	tmpl := Parse("[t]\na = '&{x}'\n'&{k}' = 2\n")
	given := []bool{true, true}
	for _, tt := range []struct {
		name, out string
		ok        bool
	}{
		{"same keys", "[t]\na = 'v'\n'key' = 2\n", true},
		{"key from the parameter differs", "[t]\na = 'v'\n'other.key' = 2\n", true},
		{"key added", "[t]\na = 'v', b = 'w'\n'k' = 2\n", false},
		{"key added on a line", "[t]\na = 'v'\nb = 1\n'k' = 2\n", false},
		{"key renamed", "[t]\nz = 'v'\n'k' = 2\n", false},
		{"table added", "[t]\na = 'v'\n[u]\n'k' = 2\n", false},
		{"inline table key added", "[t]\na = { b = 1 }\n'k' = 2\n", false},
		{"unreadable", "[t]\na = 'v\n'k' = 2\n", false},
	} {
		err := tmpl.checkStructure([]byte(tt.out), tmpl.planFor(given, nil), given)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	// A config that does not parse with harmless values has no structure
	// to keep: its output is served as the author wrote it.
	broken := Parse("a = '&{x}\n")
	if err := broken.checkStructure([]byte("a = 'v\n"), broken.planFor([]bool{true}, nil), []bool{true}); err != nil {
		t.Errorf("broken config: %v", err)
	}
}

// TestRenderShared renders one template from many goroutines, as the
// serving cache does, with plans made and reused concurrently (run -race).
func TestRenderShared(t *testing.T) {
	tmpl := Parse("[t]\na = '&{a:x}'\nn = &{n:1}\nid = \"&{id}\"\n")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				q := map[string][]string{"id": {fmt.Sprint(g)}, "n": {fmt.Sprint(i)}}
				if i%2 == 0 {
					q["a"] = []string{"it is"}
				}
				if _, err := tmpl.Render(nil, q, nil); err != nil {
					t.Error(err)
				}
				if _, err := tmpl.Render(nil, map[string][]string{"id": {"x"}, "n": {"1 # no"}}, nil); tc.ErrorCode(err) != tc.EINVALID {
					t.Errorf("err = %v, want EINVALID", err)
				}
			}
		})
	}
	wg.Wait()
}
