package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestServeTOMLParameterContexts: a parameter's value cannot leave the TOML
// context it stands in, whichever it is (issue 11, finding 7). Agents get a
// 400 naming the parameter; ordinary values are still served.
func TestServeTOMLParameterContexts(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		mgr := inst.MustRoleToken(t, tc.RoleManager)
		reader := inst.MustToken(t, inst.MustUser(t, tc.RoleViewer), "configs:read")
		src := "[[inputs.cpu]]\n  inline = { a = '&{inl:x}' }\n  bare = &{n:1}\n  id = \"&{agent_id:a}\"\n"
		c := mustConfig(t, inst, mgr, map[string]any{"name": "contexts", "toml": src})
		identity := http.Header{"Accept-Encoding": {"identity"}}

		for _, tt := range []struct{ query, want string }{
			{"", "[[inputs.cpu]]\n  inline = { a = 'x' }\n  bare = 1\n  id = \"a\"\n"},
			{"?inl=C%3A%5Cdata+%22q%22&n=42&agent_id=web-1", "[[inputs.cpu]]\n  inline = { a = 'C:\\data \"q\"' }\n  bare = 42\n  id = \"web-1\"\n"},
			{"?n=-1.5&agent_id=it%27s", "[[inputs.cpu]]\n  inline = { a = 'x' }\n  bare = -1.5\n  id = \"it's\"\n"},
		} {
			r := tomlReq(t, inst, "GET", c.ID, tt.query, reader, identity)
			if r.StatusCode != 200 || string(r.Body) != tt.want {
				t.Errorf("%s: status %d, rendered %q; want 200, %q", tt.query, r.StatusCode, r.Body, tt.want)
			}
		}

		for _, tt := range []struct{ name, query, want string }{
			{"key added in an inline table", "?inl=" + url.QueryEscape("x', b = 'injected"), `parameter "inl" stands in a single-quoted string ('...') at line 2`},
			{"comment after a bare value", "?n=" + url.QueryEscape("1 # comment"), `parameter "n" stands outside quotes at line 3`},
			{"key added after a bare value", "?n=" + url.QueryEscape("1, b = 2"), `parameter "n" stands outside quotes at line 3`},
			{"string for a bare value", "?n=%22s%22", `parameter "n"`},
		} {
			for _, method := range []string{"GET", "HEAD"} {
				r := tomlReq(t, inst, method, c.ID, tt.query, reader, identity)
				if r.StatusCode != 400 || r.Header.Get("Last-Modified") != "" {
					t.Errorf("%s %s: status %d, Last-Modified %q; want 400 without; body %s", method, tt.name, r.StatusCode, r.Header.Get("Last-Modified"), r.Body)
					continue
				}
				if method == "GET" {
					if msg := errorMessage(t, r); !strings.Contains(msg, tt.want) {
						t.Errorf("%s: message %q lacks %q", tt.name, msg, tt.want)
					}
				}
			}
		}
	})
}
