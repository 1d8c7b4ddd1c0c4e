package tc_test

import (
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
)

func TestValidateAlias(t *testing.T) {
	for _, c := range []struct {
		alias string
		ok    bool
	}{
		{"web", true},
		{"a1b", true},
		{"prod-eu-1", true},
		{"123", true},
		{"a--b", true},
		{strings.Repeat("a", 63), true},
		{"ab", false},                    // too short
		{strings.Repeat("a", 64), false}, // too long
		{"", false},
		{"Web", false},  // upper case
		{"we_b", false}, // underscore
		{"we.b", false},
		{"we b", false},
		{"-web", false}, // not alphanumeric at the start
		{"web-", false}, // nor at the end
		{"bulk", false}, // reserved
		{"duplicate", false},
		{"many", false},
		{"0e8c5b2a-1f7d-4c3e-9a6b-2d4f8e1c7a90", false}, // UUID-shaped
		{"00000000-0000-0000-0000-000000000000", false},
		{"0e8c5b2a-1f7d-4c3e-9a6b-2d4f8e1c7a9g", true}, // not hex: not a UUID
		{"wéb", false},
	} {
		err := tc.ValidateAlias(c.alias)
		if (err == nil) != c.ok {
			t.Errorf("ValidateAlias(%q) = %v, want ok %v", c.alias, err, c.ok)
		}
		if err != nil && tc.ErrorCode(err) != tc.EINVALID {
			t.Errorf("ValidateAlias(%q): code %s, want invalid", c.alias, tc.ErrorCode(err))
		}
	}
}

func TestConfigRefFromURL(t *testing.T) {
	for _, c := range []struct {
		url, ref string
		ok       bool
	}{
		{"http://tc:8888/c/web?agent_id=x", "web", true},
		{"https://bob:xxxxx@tc/proxy/c/web", "web", true},
		{"http://tc:8888/api/config-groups/web/toml", "web", true},
		{"http://tc:8888/api/config-groups/0e8c5b2a-1f7d-4c3e-9a6b-2d4f8e1c7a90/toml?a=b", "0e8c5b2a-1f7d-4c3e-9a6b-2d4f8e1c7a90", true},
		{"http://tc:8888/api/configs/web-cpu/toml", "web-cpu", true},
		{"http://tc:8888/api/configs/0e8c5b2a-1f7d-4c3e-9a6b-2d4f8e1c7a90/toml", "", false}, // a config id: agent_configs holds it
		{"http://tc:8888/api/config-groups/web", "", false},
		{"/etc/telegraf/c/web", "", false},
		{"ftp://tc/c/web", "", false},
		{"http://tc/c/", "", false},
	} {
		ref, ok := tc.ConfigRefFromURL(c.url)
		if ref != c.ref || ok != c.ok {
			t.Errorf("ConfigRefFromURL(%q) = %q, %v; want %q, %v", c.url, ref, ok, c.ref, c.ok)
		}
	}
}
