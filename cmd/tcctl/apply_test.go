package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// planJSON is apply's -o json answer.
type planJSON struct {
	Changes []struct {
		Op, Kind, Name, File string
		Details              []string
		Diff                 string
	} `json:"changes"`
	Create, Change, Delete int
	Kept                   []string
	Applied                bool
}

func (c *cli) plan(args ...string) planJSON {
	c.t.Helper()
	var p planJSON
	c.json(&p, append([]string{"apply"}, args...)...)
	return p
}

func (c *cli) configByName(name string) *tc.Config {
	c.t.Helper()
	var list struct{ Items []*tc.Config }
	c.json(&list, "configs", "list")
	for _, x := range list.Items {
		if x.Name == name {
			var full tc.Config
			c.json(&full, "configs", "get", x.ID)
			return &full
		}
	}
	return nil
}

// TestApplyAndExport: the dry run, the write, idempotence, renames, label
// changes, groups and aliases, prune that spares what the UI made, the
// refusal of an invalid directory, and export -> apply as a no-op.
func TestApplyAndExport(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		c := newCLI(t, inst)
		dir := filepath.Join(t.TempDir(), "repo")
		cpu := "[[inputs.cpu]]\n  percpu = true\n"
		writeFile(t, filepath.Join(dir, "cpu.toml"), cpu)
		writeFile(t, filepath.Join(dir, "cpu.yaml"), "name: cpu\ndescription: CPU of every host\nlabels: [prod, linux]\naliases: [cpu-base]\ngroups: [fleet]\n")
		writeFile(t, filepath.Join(dir, "mem.toml"), "[[inputs.mem]]\n")
		// mem has no sidecar: its name is the file's.

		// A config made in the UI, which apply must never touch.
		c.ok("configs", "create", "ui-made", "-f", filepath.Join(dir, "mem.toml"))

		// The dry run writes nothing.
		p := c.plan("-f", dir)
		if p.Applied || p.Create != 6 || p.Change != 0 || p.Delete != 0 {
			// 3 labels (prod, linux, the marker), 2 configs, 1 group.
			t.Fatalf("dry run plan: %+v", p)
		}
		if c.configByName("cpu") != nil {
			t.Fatal("the dry run wrote")
		}
		r := c.ok("apply", "-f", dir)
		if !strings.Contains(r.stdout, `+ config "cpu" (cpu.toml)`) || !strings.Contains(r.stdout, "+[[inputs.cpu]]") ||
			!strings.Contains(r.stdout, "Plan: 6 to create, 0 to change, 0 to delete.") || !strings.Contains(r.stdout, "Dry run") {
			t.Fatalf("dry run output: %s", r)
		}

		r = c.ok("apply", "-f", dir, "--yes", "--message", "from git")
		if !strings.Contains(r.stdout, "Applied.") {
			t.Fatal(r)
		}
		got := c.configByName("cpu")
		if got == nil || got.TOML != cpu || got.Description != "CPU of every host" || len(got.LabelIDs) != 3 {
			t.Fatalf("cpu after apply: %+v", got)
		}
		if r := c.ok("configs", "versions", "cpu"); !strings.Contains(r.stdout, "from git") {
			t.Fatalf("--message is not the version note: %s", r)
		}
		if r := c.ok("configs", "get", "cpu-base"); !strings.Contains(r.stdout, "cpu") {
			t.Fatalf("alias: %s", r)
		}
		gr := apptest.MustStatus(t, inst.Do(t, apptest.Req{Method: "GET", Path: "/api/config-groups?search=fleet", Token: c.token}), 200)
		var groups struct{ Items []tc.ConfigGroup }
		gr.JSON(t, &groups)
		if len(groups.Items) != 1 || len(groups.Items[0].Members) != 1 || groups.Items[0].Members[0].Name != "cpu" {
			t.Fatalf("group fleet: %+v", groups.Items)
		}

		// Idempotent: a second apply changes nothing.
		if p := c.plan("-f", dir, "--yes"); len(p.Changes) != 0 {
			t.Fatalf("second apply: %+v", p)
		}

		// A rename (the alias keeps the identity), a label change, a TOML
		// change and a new group membership: changes, no create or delete.
		writeFile(t, filepath.Join(dir, "cpu.yaml"), "name: processor\ndescription: CPU of every host\nlabels: [prod, arm]\naliases: [cpu-base]\ngroups: [fleet]\n")
		writeFile(t, filepath.Join(dir, "mem.yaml"), "name: mem\ngroups: [fleet]\n")
		writeFile(t, filepath.Join(dir, "cpu.toml"), "[[inputs.cpu]]\n  percpu = false\n")
		p = c.plan("-f", dir, "--yes", "--message", "rename")
		if p.Create != 1 || p.Change != 2 || p.Delete != 0 {
			// + label arm; ~ config processor; ~ group fleet (+mem).
			t.Fatalf("rename plan: %+v", p)
		}
		if c.configByName("cpu") != nil || c.configByName("processor") == nil || c.configByName("processor").ID != got.ID {
			t.Fatal("the rename made a new config")
		}
		if p := c.plan("-f", dir); len(p.Changes) != 0 {
			t.Fatalf("after the rename: %+v", p)
		}

		// Prune: a file removed deletes its managed config with --prune
		// only; the UI-made config survives.
		os.Remove(filepath.Join(dir, "mem.toml"))
		os.Remove(filepath.Join(dir, "mem.yaml"))
		p = c.plan("-f", dir, "--yes")
		if p.Delete != 0 || len(p.Kept) != 1 || c.configByName("mem") == nil {
			t.Fatalf("without --prune: %+v", p)
		}
		p = c.plan("-f", dir, "--yes", "--prune")
		if p.Delete != 1 || c.configByName("mem") != nil || c.configByName("ui-made") == nil {
			t.Fatalf("--prune: %+v", p)
		}

		// A file sharing the UI-made config's name is refused, not merged.
		writeFile(t, filepath.Join(dir, "ui.toml"), "[[inputs.disk]]\n")
		writeFile(t, filepath.Join(dir, "ui.yaml"), "name: ui-made\n")
		if r := c.code(1, "apply", "-f", dir); !strings.Contains(r.stderr, "not managed by tcctl") {
			t.Fatalf("name clash with a UI config: %s", r)
		}
		os.Remove(filepath.Join(dir, "ui.toml"))
		os.Remove(filepath.Join(dir, "ui.yaml"))

		// An invalid file stops everything before any write, naming file,
		// line and column; with --continue the valid ones go through.
		writeFile(t, filepath.Join(dir, "disk.toml"), "[[inputs.disk]]\n")
		writeFile(t, filepath.Join(dir, "zbad.toml"), "[[inputs.cpu]]\n  percpu = tru\n")
		r = c.code(1, "apply", "-f", dir, "--yes")
		if !strings.Contains(r.stderr, "zbad.toml:2:") || !strings.Contains(r.stderr, "nothing written") || c.configByName("disk") != nil {
			t.Fatalf("invalid directory: %s", r)
		}
		writeFile(t, filepath.Join(dir, "zbad.yaml"), "name: [unclosed\n")
		r = c.code(1, "apply", "-f", dir)
		if !strings.Contains(r.stderr, "zbad.yaml:1:") {
			t.Fatalf("invalid sidecar: %s", r)
		}
		writeFile(t, filepath.Join(dir, "zbad.yaml"), "name: zbad\ncolour: red\n")
		if r := c.code(1, "apply", "-f", dir); !strings.Contains(r.stderr, "zbad.yaml:2:") {
			t.Fatalf("unknown sidecar field: %s", r)
		}
		r = c.code(1, "apply", "-f", dir, "--yes", "--continue")
		if c.configByName("disk") == nil {
			t.Fatalf("--continue did not apply the valid file: %s", r)
		}
		os.Remove(filepath.Join(dir, "zbad.toml"))
		os.Remove(filepath.Join(dir, "zbad.yaml"))

		// export -> apply is a no-op, for managed and UI-made configs alike,
		// and a rename in an exported sidecar (pinned by id) is a change.
		out := filepath.Join(t.TempDir(), "exported")
		c.ok("export", out)
		c.code(2, "export", out)
		for _, f := range []string{"processor.toml", "processor.yaml", "disk.toml", "ui-made.toml", "ui-made.yaml"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Fatalf("export: %v", err)
			}
		}
		if b, _ := os.ReadFile(filepath.Join(out, "processor.toml")); string(b) != "[[inputs.cpu]]\n  percpu = false\n" {
			t.Fatalf("exported TOML: %q", b)
		}
		if p := c.plan("-f", out, "--prune"); len(p.Changes) != 0 {
			t.Fatalf("export -> apply: %+v", p)
		}
		side, _ := os.ReadFile(filepath.Join(out, "ui-made.yaml"))
		writeFile(t, filepath.Join(out, "ui-made.yaml"), strings.Replace(string(side), "name: ui-made", "name: ui-renamed", 1))
		p = c.plan("-f", out, "--yes")
		if p.Create != 0 || p.Change != 1 || p.Delete != 0 || c.configByName("ui-renamed") == nil {
			t.Fatalf("rename of an exported config: %+v", p)
		}
		// The UI-made config stays unmarked: prune never deletes it.
		os.Remove(filepath.Join(out, "ui-made.toml"))
		os.Remove(filepath.Join(out, "ui-made.yaml"))
		if p := c.plan("-f", out, "--yes", "--prune"); p.Delete != 0 || c.configByName("ui-renamed") == nil {
			t.Fatalf("prune took a UI-made config: %+v", p)
		}
		var exp struct{ Items []json.RawMessage }
		c.json(&exp, "export", filepath.Join(t.TempDir(), "managed"), "--managed-only")
		if len(exp.Items) != 2 {
			t.Fatalf("export --managed-only: %d configs", len(exp.Items))
		}
		c.noSecretPrinted()
	})
}
