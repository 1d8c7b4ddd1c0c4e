package render

import (
	"strings"
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
