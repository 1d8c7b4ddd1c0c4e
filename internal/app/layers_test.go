package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayers keeps the import rules of docs/architecture.md: adapters do not
// import each other, services and the store know nothing of HTTP adapters,
// and the domain imports nothing of ours.
func TestLayers(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go tool is needed to list dependencies: %v", err)
	}
	const mod = "github.com/telegrafcontroller/tc"
	forbidden := map[string][]string{
		mod + "/internal/web":       {"/internal/api", "/internal/heartbeat"},
		mod + "/internal/heartbeat": {"/internal/api", "/internal/web", "/internal/service"},
		mod + "/internal/api":       {"/internal/web", "/internal/heartbeat"},
		mod + "/internal/service":   {"/internal/api", "/internal/web", "/internal/heartbeat", "/internal/app"},
		mod + "/internal/auth":      {"/internal/api", "/internal/web", "/internal/service", "/internal/app"},
		mod + "/internal/store":     {"/internal/api", "/internal/web", "/internal/service", "/internal/httpx", "/internal/auth", "/internal/app"},
		mod:                         {"/internal/"},
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if !strings.HasPrefix(dep, mod+"/") {
				continue
			}
			for _, b := range bad {
				if strings.HasPrefix(strings.TrimPrefix(dep, mod), b) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
