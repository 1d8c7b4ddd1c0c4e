package tc_test

import (
	"os"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
)

// permissionTable renders the role → permission matrix as docs/permissions.md
// shows it, straight from tc.RolePermissions.
func permissionTable() string {
	var b strings.Builder
	b.WriteString("| Permission |")
	for _, r := range tc.Roles {
		b.WriteString(" " + string(r) + " |")
	}
	b.WriteString("\n|---|")
	for range tc.Roles {
		b.WriteString(":-:|")
	}
	b.WriteString("\n")
	for _, p := range tc.AllPermissions {
		b.WriteString("| `" + string(p) + "` |")
		for _, r := range tc.Roles {
			if tc.RoleHas(r, p) {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString(" — |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestPermissionsDocMatchesCode fails when docs/permissions.md and the
// matrix in permission.go disagree. To update the doc, paste the table this
// test prints.
func TestPermissionsDocMatchesCode(t *testing.T) {
	doc, err := os.ReadFile("docs/permissions.md")
	if err != nil {
		t.Fatal(err)
	}
	want := permissionTable()
	if !strings.Contains(string(doc), want) {
		t.Fatalf("docs/permissions.md does not hold the matrix from the code; it should contain:\n%s", want)
	}
}
