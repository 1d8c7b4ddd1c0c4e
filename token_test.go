package tc_test

import (
	"hash/crc32"
	"regexp"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
)

func TestTokenFormat(t *testing.T) {
	re := regexp.MustCompile(tc.TokenPattern)
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		s := tc.NewTokenSecret()
		if !tc.ValidTokenFormat(s) {
			t.Fatalf("fresh token %q fails its own check", s)
		}
		if !re.MatchString(s) || re.FindString("x "+s+" y") != s {
			t.Fatalf("published pattern does not match %q", s)
		}
		if seen[s] {
			t.Fatalf("duplicate token %q", s)
		}
		seen[s] = true
	}
	good := tc.NewTokenSecret()
	flip := func(i int) string {
		b := []byte(good)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	for name, bad := range map[string]string{
		"empty":         "",
		"wrong prefix":  "tc-apiv2_" + good[len(tc.TokenPrefix):],
		"short":         good[:len(good)-1],
		"long":          good + "a",
		"bad alphabet":  good[:20] + "-" + good[21:],
		"checksum":      flip(len(good) - 1),
		"random part":   flip(len(tc.TokenPrefix) + 3),
		"no prefix":     good[len(tc.TokenPrefix):],
		"github format": "ghp_" + good[len(tc.TokenPrefix):],
	} {
		if tc.ValidTokenFormat(bad) {
			t.Errorf("%s: %q accepted", name, bad)
		}
	}
}

func TestEffectivePermissions(t *testing.T) {
	want := []tc.Permission{"configs:read", "heartbeat:write"}
	got := tc.EffectivePermissions(tc.RoleManager, []tc.Permission{"configs:read", "heartbeat:write", "users:write"}).List()
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("manager effective = %v, want %v", got, want)
	}
	if n := len(tc.EffectivePermissions(tc.RoleViewer, []tc.Permission{"heartbeat:write", "tokens:read"})); n != 0 {
		t.Fatalf("viewer got %d permissions, want 0", n)
	}
	if _, err := tc.ParsePermissions([]string{"configs:fly"}); tc.ErrorCode(err) != tc.EINVALID {
		t.Fatalf("unknown permission: err = %v, want EINVALID", err)
	}
	if _, err := tc.ParsePermissions([]string{"heartbeat:read"}); err == nil {
		t.Fatal("heartbeat:read accepted; heartbeat has only write")
	}
}

var publishedShape = regexp.MustCompile(`^` + regexp.QuoteMeta(tc.TokenPrefix) + `[0-9A-Za-z]{36}$`)

// publishedFormat is the token format written out from its documentation
// (token.go), independently of ValidTokenFormat: the prefix, 30 base62
// characters, then their CRC-32 (IEEE) in 6 base62 digits, '0'-padded.
func publishedFormat(s string) bool {
	if !publishedShape.MatchString(s) {
		return false
	}
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	random := s[len(tc.TokenPrefix) : len(tc.TokenPrefix)+tc.TokenRandomLen]
	sum := crc32.ChecksumIEEE([]byte(random))
	want := make([]byte, tc.TokenChecksumLen)
	for i := len(want) - 1; i >= 0; i-- {
		want[i] = digits[sum%62]
		sum /= 62
	}
	return s[len(tc.TokenPrefix)+tc.TokenRandomLen:] == string(want)
}

// FuzzValidTokenFormat: no input panics ValidTokenFormat, and it accepts
// exactly the published format; what it accepts, TokenPattern finds whole.
func FuzzValidTokenFormat(f *testing.F) {
	good := tc.NewTokenSecret()
	for _, s := range []string{
		good, "", tc.TokenPrefix, good[:len(good)-1], good + "a", "tc-apiv2_" + good[len(tc.TokenPrefix):],
		good[:20] + "é" + good[22:], good[:20] + "\x00" + good[21:], strings.ToUpper(good), " " + good,
		tc.TokenPrefix + "000000000000000000000000000000000000", tc.TokenPrefix + "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
	} {
		f.Add(s)
	}
	re := regexp.MustCompile(tc.TokenPattern)
	f.Fuzz(func(t *testing.T, s string) {
		got := tc.ValidTokenFormat(s)
		if want := publishedFormat(s); got != want {
			t.Fatalf("ValidTokenFormat(%q) = %v, published format says %v", s, got, want)
		}
		if got && re.FindString(s) != s {
			t.Fatalf("TokenPattern does not find the accepted %q whole", s)
		}
	})
}
