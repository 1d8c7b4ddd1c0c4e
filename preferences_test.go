package tc_test

import (
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
)

func TestPreferences(t *testing.T) {
	for _, c := range []struct {
		cols      []string
		err       string // "" valid
		shown     string // Normalized's columns
		showsIP   bool
		showsLast bool
	}{
		{nil, "", strings.Join(tc.DefaultAgentColumns, ","), false, true},
		{[]string{}, "", "", false, false},
		{[]string{"labels", "ip"}, "", "ip,labels", true, false},
		{[]string{"ip", "ip"}, "twice", "", false, false},
		{[]string{"IP"}, `unknown column "IP"`, "", false, false},
		{[]string{""}, "unknown column", "", false, false},
	} {
		p := tc.Preferences{AgentColumns: c.cols}
		err := p.Validate()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || tc.ErrorCode(err) != tc.EINVALID {
				t.Errorf("%q: Validate = %v, want EINVALID saying %q", c.cols, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: Validate = %v", c.cols, err)
		}
		if got := strings.Join(p.Normalized().AgentColumns, ","); got != c.shown {
			t.Errorf("%q: Normalized = %s, want %s", c.cols, got, c.shown)
		}
		if p.ShowsAgentColumn(tc.AgentColumnIP) != c.showsIP || p.ShowsAgentColumn(tc.AgentColumnLastSeen) != c.showsLast {
			t.Errorf("%q: shows ip %v, lastSeen %v", c.cols, p.ShowsAgentColumn(tc.AgentColumnIP), p.ShowsAgentColumn(tc.AgentColumnLastSeen))
		}
	}
}
