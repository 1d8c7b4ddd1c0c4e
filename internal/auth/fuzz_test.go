package auth

import (
	"context"
	"encoding/base64"
	"hash/crc32"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
)

// fixedSecret is a token in the published format that is the same in every
// run, so the fuzzer can learn it from the seeds.
func fixedSecret() string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	random := "Fuzz0123456789abcdefghijKLMNOP"
	sum := crc32.ChecksumIEEE([]byte(random))
	check := make([]byte, tc.TokenChecksumLen)
	for i := len(check) - 1; i >= 0; i-- {
		check[i] = digits[sum%62]
		sum /= 62
	}
	return tc.TokenPrefix + random + string(check)
}

// failingSessions fails the test if a session is ever looked up.
type failingSessions struct{ t *testing.T }

func (s failingSessions) CallerBySession(ctx context.Context, id string) (*tc.Caller, error) {
	s.t.Fatalf("AuthenticateHeader looked up session %q", id)
	return nil, nil
}

// FuzzAuthorizationHeader: no pair of Authorization headers panics the
// authenticator; a refusal is a 401 with one of the shared messages; a
// caller comes back only for a header that carries the token (as itself or
// base64-encoded for Basic); and the session cookie is never read.
func FuzzAuthorizationHeader(f *testing.F) {
	secret := fixedSecret()
	if !tc.ValidTokenFormat(secret) {
		f.Fatalf("fixed secret %q is not in the token format", secret)
	}
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, h := range [][2]string{
		{"Bearer " + secret, ""}, {"Token " + secret, ""}, {"bearer  " + secret + " ", ""}, {basic("x:" + secret), ""},
		{basic(secret + ":"), ""}, {basic(secret), ""}, {"Basic eHg6eXk=", "Bearer " + secret}, {"Bearer", ""}, {"", ""},
		{"Bearer " + secret[:len(secret)-1] + "x", ""}, {"Basic !!!", ""}, {"Digest " + secret, ""}, {"Bearer tc-apiv1_", "Token é"},
	} {
		f.Add(h[0], h[1])
	}
	f.Fuzz(func(t *testing.T, h1, h2 string) {
		a, src, _ := newTestAuth()
		src.addUser("u1", tc.RoleOwner)
		src.tokens[tc.HashSecret(secret)] = &tc.Token{ID: "t1", UserID: "u1", Status: tc.TokenActive, Hash: tc.HashSecret(secret),
			Permissions: []tc.Permission{tc.Perm(tc.ResHeartbeat, tc.ActionWrite)}}
		a.Sessions = failingSessions{t}
		r := httptest.NewRequest("POST", "/agents/heartbeat", nil)
		r.Header.Set("Cookie", SessionCookie+"=some-session")
		var values []string
		for _, h := range []string{h1, h2} {
			if h != "" {
				values = append(values, h)
			}
		}
		if len(values) > 0 {
			r.Header["Authorization"] = values
		}
		c, err := a.AuthenticateHeader(r)
		switch {
		case err != nil:
			if c != nil || tc.ErrorCode(err) != tc.EUNAUTHORIZED {
				t.Fatalf("headers %q: caller %v, err %v; want a 401 alone", values, c, err)
			}
			switch tc.ErrorMessage(err) {
			case MsgMissing, MsgBadFormat, MsgInvalid, MsgExpired:
			default:
				t.Fatalf("headers %q: message %q is not a shared one", values, tc.ErrorMessage(err))
			}
		case c == nil:
			if len(values) > 0 {
				t.Fatalf("headers %q: neither a caller nor an error", values)
			}
		default:
			if c.Token == nil || c.Token.ID != "t1" || c.User == nil || c.User.ID != "u1" {
				t.Fatalf("headers %q: caller %+v", values, c)
			}
			if !carries(values, secret) {
				t.Fatalf("headers %q authenticated without carrying the token", values)
			}
		}
		if len(values) > 0 {
			c2, err2 := a.Authenticate(r)
			if (c2 == nil) != (c == nil) || tc.ErrorMessage(err2) != tc.ErrorMessage(err) {
				t.Fatalf("headers %q: Authenticate (%v, %v) differs from AuthenticateHeader (%v, %v)", values, c2, err2, c, err)
			}
		}
	})
}

// carries reports whether a header value holds the secret, in clear or in
// Basic's base64 credentials.
func carries(values []string, secret string) bool {
	for _, v := range values {
		if strings.Contains(v, secret) {
			return true
		}
		fields := strings.Fields(v)
		if len(fields) == 2 {
			if raw, err := base64.StdEncoding.DecodeString(fields[1]); err == nil && strings.Contains(string(raw), secret) {
				return true
			}
		}
	}
	return false
}
