package telegraf_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// TestValidateAgreesWithTelegraf loads each document into a real Telegraf
// (telegraf --test, which parses the config, runs the inputs once and exits)
// and checks that Validate calls a document invalid exactly when the agent
// refuses it. The agent is built with inputs.cpu and outputs.file among
// others, so the documents only use those.
func TestValidateAgreesWithTelegraf(t *testing.T) {
	bin := apptest.RequireTelegraf(t)
	const cpu = "[[inputs.cpu]]\n"
	tests := []struct {
		name  string
		src   string
		valid bool
	}{
		{"plain", cpu + "[[outputs.file]]\n  files = [\"stdout\"]\n", true},
		{"agent, tags and a sub-table", "[agent]\n  interval = \"10s\"\n[global_tags]\n  dc = \"eu\"\n[[inputs.cpu]]\n  percpu = false\n  [inputs.cpu.tagpass]\n    cpu = [\"cpu-total\"]\n", true},
		{"legacy single tables", "[inputs.cpu]\n[outputs.file]\n  files = [\"stdout\"]\n", true},
		{"legacy top-level input", "[cpu]\n", true},
		{"two instances", cpu + cpu, true},
		{"tags sub-table", cpu + "  [inputs.cpu.tags]\n  x = \"1\"\n", true},
		{"inline table", "[[inputs.cpu]]\n  tags = {x = \"1\"}\n", true},
		{"environment variable in a string", "[[inputs.cpu]]\n  name_override = \"${TC_UNSET_NAME:-cpu}\"\n", true},
		{"secret outside a string", "[[inputs.cpu]]\n  name_override = @{vault:name}\n", false},
		{"array then table of the same name", cpu + "[inputs.cpu]\n", false},
		{"syntax error", "[[inputs.cpu]]\n  percpu = tru\n", false},
		{"unterminated string", "[[inputs.cpu]]\n  name_override = \"cpu\n", false},
		{"dotted key", "[[inputs.cpu]]\n  tagpass.cpu = [\"a\"]\n", false},
		{"hexadecimal integer", "[agent]\n  metric_batch_size = 0x10\n" + cpu, false},
		{"inf", "[agent]\n  x = inf\n" + cpu, false},
		{"top-level key", "interval = \"10s\"\n" + cpu, false},
		{"array of agent tables", "[[agent]]\n" + cpu, false},
		{"single-table processor", "[processors.rename]\n" + cpu, false},
		{"single-table aggregator", "[aggregators.minmax]\n" + cpu, false},
		{"duplicate key", "[[inputs.cpu]]\n  percpu = true\n  percpu = false\n", false},
		{"duplicate table", "[agent]\n[agent]\n" + cpu, false},
		{"plugin as a scalar", "[inputs]\n  cpu = 3\n", false},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Telegraf splits --config at commas: keep names plain.
			path := filepath.Join(dir, fmt.Sprintf("case%d.toml", i))
			if err := os.WriteFile(path, []byte(tt.src), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "--config", path, "--test")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
			out, err := cmd.CombinedOutput()
			agentLoads := err == nil
			rep := telegraf.Validate(tt.src)
			if agentLoads != tt.valid {
				t.Errorf("Telegraf loads = %v, want %v; output:\n%s", agentLoads, tt.valid, out)
			}
			if rep.Valid() != tt.valid {
				t.Errorf("Validate valid = %v, want %v; errors %+v", rep.Valid(), tt.valid, rep.Errors)
			}
		})
	}
}

// TestUnknownOptionWarningMatchesTelegraf: an option the plugin does not
// have makes the agent refuse the config, and Validate warns about exactly
// that option (a warning, since the catalogue knows options only from the
// plugin's sample).
func TestUnknownOptionWarningMatchesTelegraf(t *testing.T) {
	bin := apptest.RequireTelegraf(t)
	dir := t.TempDir()
	for i, tt := range []struct {
		src    string
		option string
	}{
		{"[[inputs.cpu]]\n  percpu = true\n", ""},
		{"[[inputs.cpu]]\n  percpuu = true\n", "percpuu"},
		{"[[inputs.mem]]\n  interval = \"5s\"\n  [inputs.mem.tagpass]\n    x = [\"y\"]\n", ""},
		{"[[inputs.mem]]\n  [inputs.mem.tagz]\n", "tagz"},
	} {
		path := filepath.Join(dir, fmt.Sprintf("case%d.toml", i))
		if err := os.WriteFile(path, []byte(tt.src), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, bin, "--config", path, "--test")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
		out, err := cmd.CombinedOutput()
		cancel()
		if refused := err != nil; refused != (tt.option != "") {
			t.Errorf("case %d: Telegraf refused = %v, want %v; output:\n%s", i, refused, tt.option != "", out)
		}
		var warned []string
		for _, w := range telegraf.Validate(tt.src).Warnings {
			warned = append(warned, w.Message)
		}
		want := ""
		if tt.option != "" {
			want = fmt.Sprintf("option %q is not in the sample configuration", tt.option)
		}
		if got := fmt.Sprint(warned); (want == "") != (len(warned) == 0) || want != "" && !strings.Contains(got, want) {
			t.Errorf("case %d: warnings %v, want one about %q", i, warned, tt.option)
		}
	}
}
