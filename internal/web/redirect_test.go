package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// signInNexts are next values and the Location sign-in must answer for
// them: hostile ones go to "/", local ones to themselves, percent-encoded
// where the browser would otherwise reread them.
var signInNexts = []struct{ next, want string }{
	// Network paths and backslashes, which browsers read as slashes.
	{"//evil.example", "/"},
	{"///evil.example", "/"},
	{"////evil.example/x", "/"},
	{"/\\evil.example", "/"},
	{"\\/evil.example", "/"},
	{"\\\\evil.example", "/"},
	{"/./\\evil.example", "/"}, // issue 11: cleaned to /\evil.example
	{"/.//evil.example", "/"},
	{"/../\\evil.example", "/"},
	{"/x/../\\evil.example", "/"},
	{"/./evil.example", "/"},
	{"/?\\evil.example", "/"},
	{"/%5Cevil.example", "/"},
	{"/%5c%5cevil.example", "/"},
	{"%2F%2Fevil.example", "/"},
	{"/%2F%2Fevil.example", "/%2F%2Fevil.example"}, // one segment on this site
	// Characters browsers drop or reinterpret.
	{"/\t/evil.example", "/"},
	{"/\n/evil.example", "/"},
	{"/\r\n/evil.example", "/"},
	{"\t//evil.example", "/"},
	{" //evil.example", "/"},
	{"/ /evil.example", "/"},
	{"/\x00/evil.example", "/"},
	{"/%09/evil.example", "/"},
	{"/%0a/evil.example", "/"},
	{"/\uff0f/evil.example", "/"},     // fullwidth solidus
	{"\uff0f\uff0fevil.example", "/"}, // fullwidth solidus
	{"/\u2215evil.example", "/"},      // division slash
	{"\u3000//evil.example", "/"},
	{"/{x}/evil.example", "/"}, // the sign-in form's data-then fills {x}
	// Schemes and hosts.
	{"https://evil.example", "/"},
	{"http://evil.example/", "/"},
	{"HTTPS://evil.example", "/"},
	{"https:evil.example", "/"},
	{"https:/evil.example", "/"},
	{"https:\\\\evil.example", "/"},
	{"//user@evil.example", "/"},
	{"javascript:alert(1)", "/"},
	{"JaVaScRiPt:alert(1)", "/"},
	{"java\tscript:alert(1)", "/"},
	{"data:text/html,<script>alert(1)</script>", "/"},
	{"vbscript:msgbox(1)", "/"},
	// Relative and empty.
	{"evil.example", "/"},
	{"./evil.example", "/"},
	{"../evil.example", "/"},
	{"?next=//evil.example", "/"},
	{"#//evil.example", "/"},
	{"", "/"},
	{"/" + strings.Repeat("a", 3000), "/"},
	// Local paths that stay.
	{"/agents?status=ok", "/agents?status=ok"},
	{"/agents?x=//evil.example", "/agents?x=%2F%2Fevil.example"},
	{"/@evil.example", "/@evil.example"},
	{"/agents/x%2F..%2F..%2Ftokens", "/agents/x%2F..%2F..%2Ftokens"},
	{"/agents/%C3%A9", "/agents/%C3%A9"},
	{"/configs/", "/configs/"},
	{"/api/docs", "/api/docs"},
	{"/", "/"},
}

// TestSignInRedirectStaysLocal sends every next value through both ways
// sign-in redirects (GET /login while signed in, the no-JavaScript POST
// /login) and checks the exact Location, and that a browser reading it would
// stay on this site.
func TestSignInRedirectStaysLocal(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	const password = "Correct-Horse-9"
	inst.MustOwner(t) // set up: /login shows the sign-in form
	user := inst.MustPasswordUser(t, tc.RoleViewer, password)
	signedIn := inst.MustSession(t, user)
	signedIn.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	anon := &http.Client{CheckRedirect: signedIn.CheckRedirect}
	base, _ := url.Parse(inst.URL + "/login")

	check := func(t *testing.T, how string, resp *http.Response, want string) {
		t.Helper()
		resp.Body.Close()
		if resp.StatusCode == http.StatusBadRequest && strings.ContainsRune(how, 0) {
			return // the API refuses a NUL byte in any query before the UI sees it
		}
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%s: status %d, want 303", how, resp.StatusCode)
			return
		}
		loc := resp.Header.Get("Location")
		if loc != want {
			t.Errorf("%s: Location %q, want %q", how, loc, want)
		}
		if !browserStays(base, loc) {
			t.Errorf("%s: Location %q leaves the site", how, loc)
		}
	}
	for _, tt := range signInNexts {
		resp, err := signedIn.Get(inst.URL + "/login?next=" + url.QueryEscape(tt.next))
		if err != nil {
			t.Fatal(err)
		}
		check(t, "GET /login?next="+url.QueryEscape(tt.next)+" "+tt.next, resp, tt.want)

		form := url.Values{"username": {user.Username}, "password": {password}, "next": {tt.next}}
		resp, err = anon.PostForm(inst.URL+"/login", form)
		if err != nil {
			t.Fatal(err)
		}
		check(t, "POST /login next="+url.QueryEscape(tt.next), resp, tt.want)

		// Signed out, the sign-in page carries the same value to its
		// JavaScript path (data-then="go:...") and its hidden field.
		if strings.ContainsRune(tt.next, 0) {
			continue
		}
		r := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/login?next=" + url.QueryEscape(tt.next)}), 200)
		m := regexp.MustCompile(`action="/login" data-api="[^"]*" data-then="go:([^"]*)"`).FindSubmatch(r.Body)
		if m == nil {
			t.Fatalf("GET /login?next=%s: no sign-in form in %.300s", url.QueryEscape(tt.next), r.Body)
		}
		if got := html.UnescapeString(string(m[1])); got != tt.want {
			t.Errorf("sign-in page for next=%q: data-then go:%q, want go:%q", tt.next, got, tt.want)
		}
	}
}

// browserStays reports whether a browser at base following loc stays on
// base's origin. It reads loc as browsers do: tabs and newlines dropped,
// leading spaces and control characters trimmed, backslashes as slashes.
func browserStays(base *url.URL, loc string) bool {
	s := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, loc)
	s = strings.TrimLeft(s, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	s = strings.ReplaceAll(s, "\\", "/")
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	r := base.ResolveReference(u)
	return r.Scheme == base.Scheme && r.Host == base.Host
}
