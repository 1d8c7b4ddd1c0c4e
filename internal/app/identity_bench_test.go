package app_test

import (
	"net/http"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// BenchmarkSessionAuthenticate measures resolving a session cookie to a
// caller (two indexed reads, no write within a minute) next to a token
// caller from the token cache, measured in the same run as a baseline.
func BenchmarkSessionAuthenticate(b *testing.B) {
	inst := apptest.MustStart(b, apptest.DB{Name: "sqlite"})
	u := inst.MustUser(b, tc.RoleManager)
	client := inst.MustSession(b, u)
	req, _ := http.NewRequest("GET", inst.URL+"/api/auth/me", nil)
	for _, ck := range client.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	treq, _ := http.NewRequest("GET", inst.URL+"/api/auth/me", nil)
	treq.Header.Set("Authorization", "Bearer "+inst.MustToken(b, u))
	for _, c := range []struct {
		name string
		r    *http.Request
	}{{"session", req}, {"token-baseline", treq}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if caller, err := inst.Auth.Authenticate(c.r); err != nil || caller == nil {
					b.Fatalf("caller = %v, err = %v", caller, err)
				}
			}
		})
	}
}
