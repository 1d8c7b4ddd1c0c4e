package tc_test

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/telegrafcontroller/tc"
)

func TestPasswordComplexity(t *testing.T) {
	cases := []struct {
		level    tc.PasswordComplexity
		password string
		ok       bool
	}{
		{tc.ComplexityLow, "83615209", true},
		{tc.ComplexityLow, "1234567", false},
		{tc.ComplexityLow, "ééééééé", false}, // 7 characters, 14 bytes
		{tc.ComplexityLow, "éééééééé", true},
		{tc.ComplexityMedium, "Abcdefgh12", true},
		{tc.ComplexityMedium, "Abcdefgh1", false},
		{tc.ComplexityMedium, "abcdefgh12", false},
		{tc.ComplexityMedium, "ABCDEFGH12", false},
		{tc.ComplexityMedium, "Abcdefghij", false},
		{tc.ComplexityHigh, "Abcdefgh12!x", true},
		{tc.ComplexityHigh, "Abcdefgh12xx", false},
		{tc.ComplexityHigh, "Abcdefgh1!x", false},
		{tc.ComplexityLow, strings.Repeat("a", 256), true},
		{tc.ComplexityLow, strings.Repeat("a", 257), false},
		{tc.ComplexityLow, "abcdefg\xff", false},
	}
	for _, c := range cases {
		err := c.level.ValidatePassword("password", c.password)
		if (err == nil) != c.ok {
			t.Errorf("%s %q: err = %v, want ok=%v", c.level, c.password, err, c.ok)
		}
		if err != nil {
			if e, _ := err.(*tc.Error); e == nil || e.Field != "password" || e.Code != tc.EINVALID {
				t.Errorf("%s %q: err = %#v, want EINVALID on field password", c.level, c.password, err)
			}
		}
	}
	if err := tc.ComplexityMedium.ValidatePassword("newPassword", "abc"); !strings.Contains(tc.ErrorMessage(err), "at least 10") {
		t.Errorf("short medium password message = %q", tc.ErrorMessage(err))
	}
}

// TestCommonPasswords: a password on the common-password list is refused at
// every level, whatever its case, with one message that never repeats it;
// the documentation's bootstrap passwords are not on the list.
func TestCommonPasswords(t *testing.T) {
	cases := []struct {
		level    tc.PasswordComplexity
		password string
		common   bool
	}{
		{tc.ComplexityLow, "password", true},
		{tc.ComplexityLow, "PassWord", true},
		{tc.ComplexityLow, "12345678", true},
		{tc.ComplexityLow, "baseball", true},
		{tc.ComplexityMedium, "Q1w2e3r4t5", true},
		{tc.ComplexityMedium, "Password123", true},
		{tc.ComplexityMedium, "Ktlr9Wqp2z", false},
		{tc.ComplexityHigh, "P030710p$e4o", true},
		{tc.ComplexityHigh, "Nick1234-rem936", true},
		// The bootstrap examples of README.md and docs/.
		{tc.ComplexityLow, "ChangeMeOnFirstLogin!", false},
		{tc.ComplexityLow, "secure-password-here", false},
		{tc.ComplexityLow, "correct horse battery", false},
	}
	for _, c := range cases {
		if got := tc.IsCommonPassword(c.password); got != c.common {
			t.Errorf("IsCommonPassword(%q) = %v, want %v", c.password, got, c.common)
		}
		err := c.level.ValidatePassword("newPassword", c.password)
		if !c.common {
			if err != nil {
				t.Errorf("%s %q: err = %v, want accepted", c.level, c.password, err)
			}
			continue
		}
		// One fixed message: it never repeats the password.
		if e, _ := err.(*tc.Error); e == nil || e.Code != tc.EINVALID || e.Field != "newPassword" || e.Message != "This password is too common; choose another" {
			t.Errorf("%s %q: err = %#v, want EINVALID on newPassword: too common", c.level, c.password, err)
		}
	}
	// Too short is said before too common.
	if err := tc.ComplexityMedium.ValidatePassword("password", "password"); !strings.Contains(tc.ErrorMessage(err), "at least 10") {
		t.Errorf("short common password message = %q", tc.ErrorMessage(err))
	}
}

// TestCommonPasswordList checks the embedded file: at least 10,000 entries,
// each lower-case and long enough to pass the low level's length rule (a
// shorter one could never match), under a header naming source and licence.
func TestCommonPasswordList(t *testing.T) {
	b, err := os.ReadFile("passwords/common.txt")
	if err != nil {
		t.Fatal(err)
	}
	var header []string
	n := 0
	for line := range strings.SplitSeq(strings.TrimSuffix(string(b), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			header = append(header, line)
			continue
		}
		n++
		if line != strings.ToLower(line) || utf8.RuneCountInString(line) < tc.ComplexityLow.MinLength() || !tc.IsCommonPassword(line) {
			t.Errorf("list entry %q: want lower-case, at least %d characters, and found", line, tc.ComplexityLow.MinLength())
		}
	}
	if n < 10000 || tc.CommonPasswordCount() != n {
		t.Errorf("list has %d entries, the set %d; want the same, at least 10000", n, tc.CommonPasswordCount())
	}
	h := strings.Join(header, "\n")
	for _, want := range []string{"github.com/trustelem/zxcvbn v1.0.1", "Dropbox", "Permission is hereby granted"} {
		if !strings.Contains(h, want) {
			t.Errorf("list header lacks %q", want)
		}
	}
}

func BenchmarkIsCommonPassword(b *testing.B) {
	tc.IsCommonPassword("warm-up")
	for b.Loop() {
		tc.IsCommonPassword("Correct-Horse-42")
	}
}

func TestAccountFieldValidation(t *testing.T) {
	for s, ok := range map[string]bool{
		"bob": true, "ab": false, strings.Repeat("x", 50): true, strings.Repeat("x", 51): false,
		"bob smith": false, "bob@x": false, "bøb": true, "tab\tbed": false,
	} {
		if err := tc.ValidateUsername(s); (err == nil) != ok {
			t.Errorf("username %q: err = %v, want ok=%v", s, err, ok)
		}
	}
	for s, ok := range map[string]bool{
		"a@example.test": true, "": false, "a@": false, "@b": false, "a b@example.test": false,
		"Bob <bob@example.test>": false, "a@.test": false, "a@example.": false, "a@b@c": false,
	} {
		if err := tc.ValidateEmail(s); (err == nil) != ok {
			t.Errorf("email %q: err = %v, want ok=%v", s, err, ok)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	good := tc.DefaultSettings
	good.PublicUIURL = "https://tc.example.com/sub"
	good.PublicHeartbeatURL = "http://10.0.0.1:8000"
	if err := good.Validate(); err != nil {
		t.Fatalf("good settings: %v", err)
	}
	for _, u := range []string{"https://tc.example.com/", "ftp://x", "//x", "https://", "https://x?y=1", "https://x#f", "https://u:p@x", "https://" + strings.Repeat("a", 2048)} {
		if err := tc.ValidatePublicURL("publicUiUrl", u); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
	bad := good
	bad.LoginLockoutMinutes = 0
	if err := bad.Validate(); err == nil || err.(*tc.Error).Field != "loginLockoutMinutes" {
		t.Errorf("zero lockout minutes: err = %v", err)
	}
}

// TestUsernameLookAlikes (issue 11): names that look alike share a skeleton,
// whatever their case; names that only resemble each other do not.
func TestUsernameLookAlikes(t *testing.T) {
	alike := [][2]string{
		{"admin", "\u0430dmin"},    // Cyrillic а
		{"admin", "\u0410dmin"},    // Cyrillic А, upper case
		{"Admin", "\u0430dmin"},    // case and script together
		{"admin", "adrnin"},        // rn for m
		{"paypal", "paypa1"},       // 1 for l
		{"Ilya", "llya"},           // capital I for l
		{"bob", "b0b"},             // 0 for o
		{"root", "r\u03bf\u03bft"}, // Greek ο
		{"alice", "\uff41lice"},    // fullwidth ａ
	}
	for _, c := range alike {
		if a, b := tc.UsernameSkeleton(c[0]), tc.UsernameSkeleton(c[1]); a != b {
			t.Errorf("%q and %q: skeletons %q and %q differ, want equal", c[0], c[1], a, b)
		}
	}
	distinct := [][2]string{{"admin", "admins"}, {"alice", "alicia"}, {"ilya", "llya"}, {"viewer1", "viewer2"}, {"owner10", "owner1"}}
	for _, c := range distinct {
		if tc.UsernameSkeleton(c[0]) == tc.UsernameSkeleton(c[1]) {
			t.Errorf("%q and %q share the skeleton %q, want distinct", c[0], c[1], tc.UsernameSkeleton(c[0]))
		}
	}
}

func TestUsernameScripts(t *testing.T) {
	for name, mixed := range map[string]bool{
		"admin":                          false,
		"j.doe-2_x":                      false,
		"\u0430dmin":                     true,  // Cyrillic а among Latin letters
		"\u0432\u0430\u0441\u044f":       false, // all Cyrillic
		"\u03b1\u03b2\u03b3-1":           false, // Greek with a digit
		"ab\u03b3":                       true,
		"\u5c71\u7530\u305f\u308d\u3046": false, // Han and Hiragana (Japanese)
		"\u30bf\u30ed\u30a6\u5c71":       false, // Katakana and Han
		"\u9577\uc601\ud76c":             false, // Han and Hangul (Korean)
		"\u5c71\u7530abc":                true,  // Han and Latin
		"\u305f\u308d\ud76c":             true,  // Hiragana and Hangul
		"cafe\u0301":                     false, // a combining mark is Inherited
	} {
		if got := tc.MixedScript(name); got != mixed {
			t.Errorf("MixedScript(%q) = %v, want %v", name, got, mixed)
		}
		err := tc.ValidateUsername(name)
		if mixed && tc.ErrorCode(err) != tc.EINVALID {
			t.Errorf("ValidateUsername(%q) = %v, want refused", name, err)
		}
		if !mixed && err != nil {
			t.Errorf("ValidateUsername(%q) = %v, want accepted", name, err)
		}
	}
}
