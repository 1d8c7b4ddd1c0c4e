package tc_test

import (
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
)

func TestPasswordComplexity(t *testing.T) {
	cases := []struct {
		level    tc.PasswordComplexity
		password string
		ok       bool
	}{
		{tc.ComplexityLow, "12345678", true},
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
		err := c.level.CheckPassword("password", c.password)
		if (err == nil) != c.ok {
			t.Errorf("%s %q: err = %v, want ok=%v", c.level, c.password, err, c.ok)
		}
		if err != nil {
			if e, _ := err.(*tc.Error); e == nil || e.Field != "password" || e.Code != tc.EINVALID {
				t.Errorf("%s %q: err = %#v, want EINVALID on field password", c.level, c.password, err)
			}
		}
	}
	if err := tc.ComplexityMedium.CheckPassword("newPassword", "abc"); !strings.Contains(tc.ErrorMessage(err), "at least 10") {
		t.Errorf("short medium password message = %q", tc.ErrorMessage(err))
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
