package telegraf

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// short renders a reference compactly for comparisons.
func short(r Reference) string {
	s := fmt.Sprintf("%s %s", r.Kind, r.Name)
	if r.HasDefault {
		s += fmt.Sprintf(" default=%q", r.Default)
	}
	if r.Required {
		s += " required"
	}
	if r.InString {
		s += " str"
	}
	return s + fmt.Sprintf(" @%d:%d", r.Line, r.Column)
}

func TestReferences(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"parameter", `id = "&{agent_id}"`, []string{`parameter agent_id required str @1:7`}},
		{"parameter default", `url = "&{db:localhost}"`, []string{`parameter db default="localhost" str @1:8`}},
		{"default with colons", `url = "&{a:b:c}"`, []string{`parameter a default="b:c" str @1:8`}},
		{"default url", `url = "&{db_host:https://localhost:8181}"`, []string{`parameter db_host default="https://localhost:8181" str @1:8`}},
		{"empty default", `x = "&{a:}"`, []string{`parameter a default="" str @1:6`}},
		{"numeric position", "port = &{port:8080}", []string{`parameter port default="8080" @1:8`}},
		{"quote inside default", `g = "&{greet:say "hi"} there"`, []string{`parameter greet default="say \"hi\"" str @1:6`}},
		{"env", `token = "${TELEGRAF_CONTROLLER_TOKEN}"`, []string{`env TELEGRAF_CONTROLLER_TOKEN required str @1:10`}},
		{"env default", `x = "${A:-fallback}" y = "${B-x}"`, []string{`env A default="fallback" str @1:6`, `env B default="x" str @1:27`}},
		{"env error form", `x = "${A:?need A}"`, []string{`env A required str @1:6`}},
		{"env alt form", `x = "${A:+yes}"`, []string{`env A str @1:6`}},
		{"env escaped", `x = "$${NOT_A_VAR} ${YES}"`, []string{`env YES required str @1:20`}},
		{"env bad name", `x = "${1A} ${A B}"`, nil},
		{"secret", `password = "@{vault:db_pass}"`, []string{`secret vault:db_pass required str @1:13`}},
		{"secret needs key", `x = "@{vault}" y = "@{a:b-c}"`, nil},
		{"constant", `region = "::{region}"`, []string{`constant region required str @1:11`}},
		{"not references", `x = "&{} ${} @{} ::{} &{a b} &{a"`, nil},
		{"comment skipped", "# &{a}\nx = 1 # ${B}\ny = \"#\" # @{s:k}\nz = \"&{c}\"", []string{`parameter c required str @4:6`}},
		{"hash in string is not a comment", `x = "a # &{p}"`, []string{`parameter p required str @1:10`}},
		{"literal string", `x = 'C:\path &{p}'`, []string{`parameter p required str @1:14`}},
		{"escaped quote", `x = "a \" &{p}" # &{q}`, []string{`parameter p required str @1:11`}},
		{"multiline basic", "x = \"\"\"\nline # &{a}\n\"\" &{b}\"\"\"\"\" # &{c}\ny = &{d}", []string{
			`parameter a required str @2:8`, `parameter b required str @3:4`, `parameter d required @4:5`}},
		{"multiline literal", "x = '''\n# &{a}\n'''\n# &{b}", []string{`parameter a required str @2:3`}},
		{"array of tables", "[[inputs.http]]\n  urls = [\"&{targets}\"]\n  token = \"${T}\"", []string{
			`parameter targets required str @2:12`, `env T required str @3:12`}},
		{"columns count characters", `x = "é€ &{p}"`, []string{`parameter p required str @1:9`}},
		{"several on a line", `u = "&{s:http}://&{h}:&{p:80}/::{path}"`, []string{
			`parameter s default="http" str @1:6`, `parameter h required str @1:18`,
			`parameter p default="80" str @1:23`, `constant path required str @1:31`}},
		{"crlf", "a = 1\r\nb = \"&{x}\"\r\n", []string{`parameter x required str @2:6`}},
		{"unterminated", `x = "&{a`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range References(tt.src) {
				got = append(got, short(r))
				if text := tt.src[r.Start:r.End]; !strings.HasSuffix(text, "}") {
					t.Errorf("span %q does not end with }", text)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("References(%q)\ngot:\n  %s\nwant:\n  %s", tt.src, strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	src := `a = "&{p:1}" b = "&{p}" c = "&{q:x}" d = "&{q:y}" e = "${E}" f = "${E:-d}" g = "@{s:k}" h = "::{c}" i = "::{c}"`
	u := Summarize(References(src))
	type row struct {
		name, def string
		required  bool
	}
	flat := func(uses []Use) []row {
		var rows []row
		for _, u := range uses {
			r := row{name: u.Name, required: u.Required, def: "<none>"}
			if u.Default != nil {
				r.def = *u.Default
			}
			rows = append(rows, r)
		}
		return rows
	}
	for _, c := range []struct {
		kind string
		got  []Use
		want []row
	}{
		{"parameters", u.Parameters, []row{{"p", "1", true}, {"q", "x", false}}},
		{"env", u.Env, []row{{"E", "d", true}}},
		{"secrets", u.Secrets, []row{{"s:k", "<none>", true}}},
		{"constants", u.Constants, []row{{"c", "<none>", true}}},
	} {
		if got := flat(c.got); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.kind, got, c.want)
		}
	}
	if empty := Summarize(nil); empty.Parameters == nil || empty.Env == nil {
		t.Errorf("Summarize(nil) must give empty lists, not nil (JSON [] rather than null)")
	}
}

// TestReferenceContexts checks the lexical context found for each reference,
// which decides what a parameter's value may hold when it is served.
func TestReferenceContexts(t *testing.T) {
	tests := []struct {
		name, src string
		want      []Context
	}{
		{"basic", `a = "&{x}"`, []Context{BasicString}},
		{"basic key", `"&{x}" = 1`, []Context{BasicString}},
		{"after an escaped quote", `a = "\" &{x}"`, []Context{BasicString}},
		{"multi-line basic", "a = \"\"\"\n\"&{x}\"\"\n\"\"\"", []Context{MultilineBasicString}},
		{"literal", `a = 'C:\&{x}'`, []Context{LiteralString}},
		{"literal in an inline table", `t = { a = '&{inl:x}' }`, []Context{LiteralString}},
		{"multi-line literal", "a = '''\n''&{x}'\n'''", []Context{MultilineLiteralString}},
		{"bare value", `bare = &{n:1}`, []Context{Bare}},
		{"bare in an array and an inline table", `a = [&{x}, { b = &{y} }]`, []Context{Bare, Bare}},
		{"bare key and header", "[inputs.&{t}]\n&{k} = 1", []Context{Bare, Bare}},
		{"after strings close", `a = "x" b = 'y' c = """z""" d = '''w''' e = &{x}`, []Context{Bare}},
		{"one-line string ends at a newline", "a = 'x\nb = &{x}", []Context{Bare}},
		{"quote in a default does not end the string", `a = '&{x:it's}' b = '&{y}'`, []Context{LiteralString, LiteralString}},
		{"every kind", `a = ["&{p}", '${E}', '''@{s:k}''', """::{c}"""]`, []Context{BasicString, LiteralString, MultilineLiteralString, MultilineBasicString}},
	}
	for _, tt := range tests {
		var got []Context
		for _, r := range References(tt.src) {
			got = append(got, r.Context)
			if r.InString != (r.Context != Bare) {
				t.Errorf("%s: %s InString %v, Context %v", tt.name, r.Name, r.InString, r.Context)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: contexts %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestContextsAt reads plain TOML: unlike References, a quote inside what
// looks like a dynamic value still ends a string.
func TestContextsAt(t *testing.T) {
	src := "a = 'x'y # c\nb = \"\\\"q\" '''r''' &{k:'}z\n"
	at := func(s string) int { return strings.Index(src, s) }
	offsets := []int{at("x"), at("y"), at(" c") + 1, at("q"), at("r"), at("z"), at("\\") + 1}
	slices.Sort(offsets)
	got := ContextsAt(src, offsets)
	want := []Context{LiteralString, Bare, Comment, BasicString, BasicString, MultilineLiteralString, LiteralString}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("contexts %v, want %v", got, want)
	}
}
