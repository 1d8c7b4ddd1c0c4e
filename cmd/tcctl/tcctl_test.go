package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// bin is the tcctl binary, built once by TestMain with CGO disabled, as
// `go install` builds it.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tcctl-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "tcctl")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "CGO_ENABLED=0 go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs the built tcctl against one controller, with a configuration
// directory of its own, and keeps everything it printed so a test can check
// that no token leaked.
type cli struct {
	t       *testing.T
	inst    *apptest.Instance
	token   string // the owner's, with every permission
	home    string // XDG_CONFIG_HOME and HOME
	mu      sync.Mutex
	printed []string // every stdout and stderr, but tokens create's stdout
}

// result is one run of tcctl.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("tcctl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

func newCLI(t *testing.T, inst *apptest.Instance) *cli {
	owner := inst.MustOwner(t)
	return &cli{t: t, inst: inst, token: inst.MustToken(t, owner, tc.AllPermissions...), home: t.TempDir()}
}

// env is the environment of a run: no context, the controller's URL and the
// owner's token in TC_URL and TC_TOKEN, unless extra overrides them (an
// empty value removes a variable).
func (c *cli) env(extra map[string]string) []string {
	vars := map[string]string{
		"XDG_CONFIG_HOME": c.home, "HOME": c.home, "PATH": os.Getenv("PATH"),
		"TC_URL": c.inst.URL, "TC_TOKEN": c.token,
	}
	for k, v := range extra {
		vars[k] = v
	}
	var out []string
	for k, v := range vars {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// runWith runs tcctl with env overrides and stdin.
func (c *cli) runWith(extra map[string]string, stdin string, args ...string) result {
	c.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = c.env(extra)
	cmd.Dir = c.home
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("run tcctl %v: %v", args, err)
	}
	r := result{args: args, stdout: out.String(), stderr: errb.String(), code: code}
	c.mu.Lock()
	if !(len(args) >= 2 && args[0] == "tokens" && args[1] == "create") {
		c.printed = append(c.printed, r.stdout)
	}
	c.printed = append(c.printed, r.stderr)
	c.mu.Unlock()
	return r
}

// run runs tcctl as the owner through TC_URL and TC_TOKEN.
func (c *cli) run(args ...string) result {
	c.t.Helper()
	return c.runWith(nil, "", args...)
}

// ok runs tcctl and fails the test unless it exits 0.
func (c *cli) ok(args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("%s", r)
	}
	return r
}

// code runs tcctl and fails the test unless it exits with want.
func (c *cli) code(want int, args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != want {
		c.t.Fatalf("want exit %d; %s", want, r)
	}
	return r
}

// json runs tcctl with -o json and decodes its output.
func (c *cli) json(v any, args ...string) {
	c.t.Helper()
	r := c.ok(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		c.t.Fatalf("decode %s: %v", r, err)
	}
}

// noSecretPrinted fails when any token value appears in what tcctl printed
// (tokens create's stdout excepted).
func (c *cli) noSecretPrinted() {
	c.t.Helper()
	re := regexp.MustCompile(tc.TokenPattern)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.printed {
		if re.MatchString(p) {
			c.t.Errorf("a token was printed:\n%s", p)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestContextsAndExitCodes: contexts written 0600 without a token unless
// asked, the overrides, the insecure warning, and exit codes 2, 3 and 4.
func TestContextsAndExitCodes(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		c := newCLI(t, inst)
		noEnv := map[string]string{"TC_URL": "", "TC_TOKEN": ""}
		cfgPath := filepath.Join(c.home, "tcctl", "config")

		// No context and no TC_URL: a usage error.
		if r := c.runWith(noEnv, "", "configs", "list"); r.code != 2 || !strings.Contains(r.stderr, "context add") {
			t.Fatalf("without a context: %s", r)
		}
		r := c.runWith(noEnv, "", "context", "add", "lab", "--url", inst.URL, "--token-env", "LAB_TOKEN")
		if r.code != 0 {
			t.Fatal(r)
		}
		assertConfigFile(t, cfgPath, "")
		with := map[string]string{"TC_URL": "", "TC_TOKEN": "", "LAB_TOKEN": c.token}
		if r := c.runWith(with, "", "configs", "list"); r.code != 0 {
			t.Fatalf("context with --token-env: %s", r)
		}
		if r := c.runWith(noEnv, "", "configs", "list"); r.code != 1 || !strings.Contains(r.stderr, "$LAB_TOKEN") {
			t.Fatalf("empty token variable: %s", r)
		}
		if r := c.runWith(noEnv, "", "context", "current"); r.code != 1 {
			t.Fatalf("context current without its token: %s", r)
		}
		if r := c.runWith(with, "", "context", "current"); r.code != 0 || !strings.Contains(r.stdout, "owner") {
			t.Fatalf("context current: %s", r)
		}

		// --token-stdin without --store-token is refused; with it the token
		// is stored, and only then.
		if r := c.runWith(noEnv, c.token+"\n", "context", "add", "kept", "--url", inst.URL, "--token-stdin"); r.code != 2 {
			t.Fatalf("--token-stdin alone: %s", r)
		}
		assertConfigFile(t, cfgPath, "")
		if r := c.runWith(noEnv, c.token+"\n", "context", "add", "kept", "--url", inst.URL, "--token-stdin", "--store-token"); r.code != 0 {
			t.Fatal(r)
		}
		assertConfigFile(t, cfgPath, c.token)
		if r := c.runWith(noEnv, "", "configs", "list"); r.code != 0 {
			t.Fatalf("stored token: %s", r)
		}
		for _, o := range []string{"table", "json", "yaml"} {
			if r := c.runWith(noEnv, "", "context", "list", "-o", o); r.code != 0 || !strings.Contains(r.stdout, "kept") {
				t.Fatalf("context list -o %s: %s", o, r)
			}
		}
		// TC_URL overrides the context's URL.
		if r := c.runWith(map[string]string{"TC_URL": "http://127.0.0.1:1", "TC_TOKEN": ""}, "", "configs", "list"); r.code != 1 || !strings.Contains(r.stderr, "127.0.0.1:1") {
			t.Fatalf("TC_URL override: %s", r)
		}
		if r := c.runWith(noEnv, "", "--context", "lab", "context", "use", "nope"); r.code != 3 {
			t.Fatalf("context use of an unknown context: %s", r)
		}
		if r := c.runWith(noEnv, "", "configs", "list", "--context", "nope"); r.code != 2 {
			t.Fatalf("--context naming nothing: %s", r)
		}
		c.runWith(noEnv, "", "context", "use", "lab")
		if r := c.runWith(noEnv, "", "context", "delete", "kept"); r.code != 0 {
			t.Fatal(r)
		}
		assertConfigFile(t, cfgPath, "")

		// --insecure warns at every use.
		if r := c.runWith(noEnv, "", "context", "add", "lax", "--url", inst.URL, "--token-env", "LAB_TOKEN", "--insecure"); r.code != 0 || !strings.Contains(r.stderr, "warning") {
			t.Fatalf("context add --insecure: %s", r)
		}
		if r := c.runWith(with, "", "configs", "list"); r.code != 0 || !strings.Contains(r.stderr, "warning") {
			t.Fatalf("insecure context in use: %s", r)
		}

		// Usage errors: 2.
		c.code(2, "configs", "get")
		c.code(2, "configs", "list", "--bogus")
		c.code(2, "configs", "list", "-o", "xml")
		c.code(2, "nope")
		c.code(2, "configs")
		c.code(2, "configs", "render", "x", "-p", "novalue")
		// Help: 0, with examples, for every command.
		checkHelp(t, c)

		// Denied: 4 (an unknown token, a viewer writing).
		if r := c.runWith(map[string]string{"TC_TOKEN": tc.NewTokenSecret()}, "", "configs", "list"); r.code != 4 {
			t.Fatalf("unknown token: %s", r)
		}
		viewer := inst.MustRoleToken(t, tc.RoleViewer)
		if r := c.runWith(map[string]string{"TC_TOKEN": viewer}, "", "configs", "create", "v"); r.code != 4 {
			t.Fatalf("viewer creating a config: %s", r)
		}
		// Not found: 3.
		c.code(3, "configs", "get", "no-such-config")
		c.code(3, "configs", "get", "00000000-0000-4000-8000-00000000abcd")
		c.noSecretPrinted()
	})
}

// assertConfigFile checks the configuration file is 0600 and holds token
// when one is given, and no token at all otherwise.
func assertConfigFile(t *testing.T, path, token string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", path, st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	has := regexp.MustCompile(tc.TokenPattern).Match(b)
	if token == "" && has {
		t.Errorf("the configuration file holds a token nobody asked to store:\n%s", b)
	}
	if token != "" && !bytes.Contains(b, []byte(token)) {
		t.Errorf("the configuration file lacks the stored token:\n%s", b)
	}
}

// checkHelp asks every command for --help: exit 0, a usage line and
// examples for every leaf.
func checkHelp(t *testing.T, c *cli) {
	t.Helper()
	top := c.ok("--help").stdout
	re := regexp.MustCompile(`(?m)^  ([a-z]+) {2,}`)
	for _, m := range re.FindAllStringSubmatch(top, -1) {
		group := c.ok(m[1], "--help").stdout
		subs := re.FindAllStringSubmatch(group, -1)
		if len(subs) == 0 {
			if !strings.Contains(group, "Examples:") {
				t.Errorf("tcctl %s --help has no examples:\n%s", m[1], group)
			}
			continue
		}
		for _, s := range subs {
			h := c.ok(m[1], s[1], "--help").stdout
			if !strings.Contains(h, "Usage:") || !strings.Contains(h, "Examples:") {
				t.Errorf("tcctl %s %s --help lacks usage or examples:\n%s", m[1], s[1], h)
			}
		}
	}
}

// TestConfigs drives every configs command through the binary.
func TestConfigs(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		c := newCLI(t, inst)
		dir := t.TempDir()

		// validate: local, no controller needed; file:line:column.
		bad := "[[inputs.cpu]]\n  percpu = true\n[[outputs.file]\n"
		writeFile(t, filepath.Join(dir, "bad.toml"), bad)
		want := telegraf.Validate(bad).Errors[0]
		r := c.runWith(map[string]string{"TC_URL": "", "TC_TOKEN": ""}, "", "configs", "validate", filepath.Join(dir, "bad.toml"))
		if r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf("bad.toml:%d:%d: error:", want.Line, want.Column)) {
			t.Fatalf("validate of a bad file: %s", r)
		}
		good := "[[inputs.cpu]]\n  percpu = true\n\n[[outputs.file]]\n  files = [\"stdout\"]\n"
		writeFile(t, filepath.Join(dir, "good.toml"), good)
		c.ok("configs", "validate", filepath.Join(dir, "good.toml"))
		c.code(1, "configs", "create", "bad", "-f", filepath.Join(dir, "bad.toml"))

		c.ok("labels", "create", "prod")
		r = c.ok("configs", "create", "web base", "-f", filepath.Join(dir, "good.toml"), "--label", "prod", "--description", "web servers", "--message", "first")
		if !strings.Contains(r.stdout, "created") {
			t.Fatal(r)
		}
		var list struct {
			Items []tc.Config `json:"items"`
			Total int         `json:"total"`
		}
		c.json(&list, "configs", "list")
		if list.Total != 1 || list.Items[0].Name != "web base" || len(list.Items[0].LabelIDs) != 1 {
			t.Fatalf("configs list: %+v", list)
		}
		id := list.Items[0].ID
		if r := c.ok("configs", "list"); !strings.Contains(r.stdout, "web base") || !strings.Contains(r.stdout, "prod") {
			t.Fatalf("configs list table: %s", r)
		}
		if r := c.ok("configs", "list", "--label", "prod", "-o", "yaml"); !strings.Contains(r.stdout, "name: web base") {
			t.Fatalf("configs list -o yaml: %s", r)
		}
		// get by name, id; --toml is byte for byte.
		if r := c.ok("configs", "get", "WEB BASE", "--toml"); r.stdout != good {
			t.Fatalf("get --toml = %q, want %q", r.stdout, good)
		}
		var got tc.Config
		c.json(&got, "configs", "get", id)
		if got.Description != "web servers" || got.CurrentVersion != 1 {
			t.Fatalf("configs get: %+v", got)
		}

		// update, versions, diff, rollback.
		v2 := strings.Replace(good, "percpu = true", "percpu = false", 1)
		writeFile(t, filepath.Join(dir, "v2.toml"), v2)
		c.ok("configs", "update", "web base", "-f", filepath.Join(dir, "v2.toml"), "--message", "no per-cpu")
		c.code(2, "configs", "update", "web base")
		if r := c.ok("configs", "versions", "web base"); !strings.Contains(r.stdout, "no per-cpu") || !strings.Contains(r.stdout, "first") {
			t.Fatalf("versions: %s", r)
		}
		if r := c.ok("configs", "diff", "web base"); !strings.Contains(r.stdout, "-  percpu = true") || !strings.Contains(r.stdout, "+  percpu = false") {
			t.Fatalf("diff: %s", r)
		}
		if r := c.ok("configs", "diff", "web base", "--file", filepath.Join(dir, "good.toml")); !strings.Contains(r.stdout, "+  percpu = true") {
			t.Fatalf("diff --file: %s", r)
		}
		c.code(3, "configs", "diff", "web base", "1", "9")
		if r := c.ok("configs", "rollback", "web base", "1", "--message", "back"); !strings.Contains(r.stdout, "now version 3") {
			t.Fatalf("rollback: %s", r)
		}
		if r := c.ok("configs", "get", id, "--toml"); r.stdout != good {
			t.Fatalf("after rollback: %q", r.stdout)
		}

		// render with parameters; a missing one is the controller's 400.
		param := "[[inputs.cpu]]\n  [inputs.cpu.tags]\n    agent = \"&{agent_id}\"\n"
		writeFile(t, filepath.Join(dir, "param.toml"), param)
		c.ok("configs", "create", "param", "-f", filepath.Join(dir, "param.toml"))
		if r := c.ok("configs", "render", "param", "-p", "agent_id=web-1"); !strings.Contains(r.stdout, `agent = "web-1"`) {
			t.Fatalf("render: %s", r)
		}
		if r := c.code(1, "configs", "render", "param"); !strings.Contains(r.stderr, "agent_id") {
			t.Fatalf("render without the parameter: %s", r)
		}

		// edit: an invalid save reopens the editor with the errors; the
		// second save is valid and becomes a version.
		editor := filepath.Join(dir, "editor.sh")
		writeFile(t, editor, `#!/bin/sh
n=$(cat "$0.count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$0.count"
if [ $n = 1 ]; then printf '[[inputs.mem]\n' > "$1"; exit 0; fi
grep -q '^# tcctl: line' "$1" || { echo "no error header" >&2; exit 1; }
printf '[[inputs.mem]]\n' > "$1"
`)
		os.Chmod(editor, 0o755)
		r = c.runWith(map[string]string{"EDITOR": editor}, "", "configs", "edit", "param", "--message", "edited")
		if r.code != 0 || !strings.Contains(r.stderr, "error") || !strings.Contains(r.stdout, "version 2") {
			t.Fatalf("edit: %s", r)
		}
		if r := c.ok("configs", "get", "param", "--toml"); r.stdout != "[[inputs.mem]]\n" {
			t.Fatalf("after edit: %q", r.stdout)
		}
		// An editor that leaves the errors in place cancels.
		writeFile(t, editor, "#!/bin/sh\nprintf '[[inputs.mem]\\n' > \"$1\"\n")
		if r := c.runWith(map[string]string{"EDITOR": editor}, "", "configs", "edit", "param"); r.code != 1 || !strings.Contains(r.stderr, "cancelled") {
			t.Fatalf("edit left invalid: %s", r)
		}

		c.ok("configs", "delete", "param")
		c.code(3, "configs", "get", "param")
		c.code(3, "configs", "delete", "param")
		c.noSecretPrinted()
	})
}

// TestNoServerCode keeps tcctl a client: it reaches the controller through
// the JSON API only, so it imports no store, service, server or driver code.
func TestNoServerCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"/internal/store", "/internal/service", "/internal/api", "/internal/app", "/internal/web", "/internal/auth", "jackc/pgx", "modernc.org/sqlite"} {
			if strings.Contains(dep, bad) {
				t.Errorf("tcctl depends on %s", dep)
			}
		}
	}
}
