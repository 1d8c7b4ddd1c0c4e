package app_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc/internal/app"
)

// TestHAOptions: --ha stands alone or takes a value, HA_ENABLED turns it
// on, and the check interval is bounded.
func TestHAOptions(t *testing.T) {
	for _, tt := range []struct {
		args         []string
		env          map[string]string
		wantHA       bool
		wantInterval time.Duration
	}{
		{nil, nil, false, 3 * time.Second},
		{[]string{"--ha"}, nil, true, 3 * time.Second},
		{[]string{"--ha", "--ha-check-interval", "500ms"}, nil, true, 500 * time.Millisecond},
		{[]string{"--ha=true"}, nil, true, 3 * time.Second},
		{[]string{"--ha=false"}, map[string]string{"HA_ENABLED": "true"}, false, 3 * time.Second},
		{nil, map[string]string{"HA_ENABLED": "true", "HA_CHECK_INTERVAL": "5s"}, true, 5 * time.Second},
		{[]string{"--reset-owner-password"}, nil, false, 3 * time.Second},
	} {
		cfg, err := app.ParseConfig(tt.args, func(k string) string { return tt.env[k] }, nil, io.Discard)
		if err != nil {
			t.Errorf("%v %v: %v", tt.args, tt.env, err)
			continue
		}
		if cfg.HA != tt.wantHA || cfg.HACheckInterval != tt.wantInterval {
			t.Errorf("%v %v: HA %v, interval %v; want %v, %v", tt.args, tt.env, cfg.HA, cfg.HACheckInterval, tt.wantHA, tt.wantInterval)
		}
	}
	for _, bad := range [][]string{{"--ha=maybe"}, {"--ha-check-interval", "10ms"}, {"--ha-check-interval", "2m"}, {"--ha", "true"}} {
		if _, err := app.ParseConfig(bad, func(string) string { return "" }, nil, io.Discard); err == nil || !strings.Contains(err.Error(), "ha") && !strings.Contains(err.Error(), "true") {
			t.Errorf("%v: error %v, want one naming the option", bad, err)
		}
	}
}
