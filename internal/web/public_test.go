package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestNoScriptSignInAndOut drives the public pages' form paths, which call
// the sign-in rules directly: a wrong password answers the form again with
// the API's message, a right one sets the session cookie, and sign-out ends
// the session and clears the cookie.
func TestNoScriptSignInAndOut(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		const password = "Correct-Horse-9"
		inst.MustOwner(t)
		user := inst.MustPasswordUser(t, tc.RoleViewer, password)
		noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		client := &http.Client{CheckRedirect: noFollow}
		post := func(path string, form url.Values, cookie *http.Cookie) (*http.Response, string) {
			t.Helper()
			req, _ := http.NewRequest("POST", inst.URL+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if cookie != nil {
				req.AddCookie(cookie)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp, string(b)
		}
		session := func(resp *http.Response) *http.Cookie {
			for _, c := range resp.Cookies() {
				if c.Name == "tc_session" {
					return c
				}
			}
			return nil
		}

		resp, body := post("/login", url.Values{"username": {user.Username}, "password": {"wrong-password"}}, nil)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Invalid username or password") || session(resp) != nil {
			t.Fatalf("wrong password: status %d, cookie %v, body %.300s; want 401 with the message and no cookie", resp.StatusCode, session(resp), body)
		}

		resp, _ = post("/login", url.Values{"username": {user.Username}, "password": {password}, "next": {"/account"}}, nil)
		ck := session(resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" || ck == nil {
			t.Fatalf("right password: status %d, Location %q, cookie %v; want 303 to /account with a session", resp.StatusCode, resp.Header.Get("Location"), ck)
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge < int((time.Hour).Seconds()) {
			t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Lax, Path=/ and a lifetime", ck)
		}
		signedIn := &http.Client{CheckRedirect: noFollow}
		get := func(c *http.Cookie) int {
			req, _ := http.NewRequest("GET", inst.URL+"/account", nil)
			req.AddCookie(c)
			r, err := signedIn.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			return r.StatusCode
		}
		if got := get(ck); got != http.StatusOK {
			t.Fatalf("GET /account with the new session: %d, want 200", got)
		}

		resp, _ = post("/logout", nil, ck)
		cleared := session(resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" || cleared == nil || cleared.MaxAge >= 0 {
			t.Fatalf("logout: status %d, Location %q, cookie %+v; want 303 to /login clearing the cookie", resp.StatusCode, resp.Header.Get("Location"), cleared)
		}
		if got := get(ck); got != http.StatusSeeOther {
			t.Fatalf("GET /account with the ended session: %d, want 303 to sign in", got)
		}
	})
}
