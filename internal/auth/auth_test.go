package auth

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/telegrafcontroller/tc"
)

// TestAuthorizationHeaderForms: a header that carries no token, in any
// scheme, is "Missing or invalid Authorization header" (as upstream's
// troubleshooting page documents); Basic carrying a real token as the
// password (a config URL with userinfo) or as the username keeps working.
func TestAuthorizationHeaderForms(t *testing.T) {
	a, src, _ := newTestAuth()
	src.addUser("u1", tc.RoleManager)
	secret := src.addToken("t1", "u1", "configs:read")
	basic := func(userinfo string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(userinfo)) }
	for _, c := range []struct {
		header, want string // want "" means authenticated
	}{
		{"Bearer " + secret, ""},
		{"Token " + secret, ""},
		{basic("agent:" + secret), ""},
		{basic(secret + ":"), ""},
		{basic("admin:hunter2"), MsgMissing},
		{basic("admin:"), MsgMissing},
		{basic(":hunter2"), MsgMissing},
		{basic("tokenless"), MsgMissing},
		{basic(":"), MsgMissing},
		{"Basic", MsgMissing},
		{"Basic !!!", MsgMissing},
		{"Digest username=\"admin\"", MsgMissing},
		{"Negotiate abc", MsgMissing},
		{"Bearer", MsgMissing},
		{"Bearer   ", MsgMissing},
		{"Bearer not-a-token", MsgBadFormat},
		{basic("agent:tc-apiv1_short"), MsgBadFormat},
		{"Bearer " + tc.NewTokenSecret(), MsgInvalid},
	} {
		req, _ := http.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", c.header)
		caller, err := a.Authenticate(req)
		if c.want == "" {
			if err != nil || caller == nil || caller.User.ID != "u1" {
				t.Errorf("%q: caller = %v, err = %v; want the token's caller", c.header, caller, err)
			}
			continue
		}
		if caller != nil || tc.ErrorCode(err) != tc.EUNAUTHORIZED || tc.ErrorMessage(err) != c.want {
			t.Errorf("%q: caller = %v, err = %v; want 401 %q", c.header, caller, err, c.want)
		}
	}
}
