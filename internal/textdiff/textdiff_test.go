package textdiff

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"both empty", "", "", ""},
		{"from empty", "", "a\nb\n", "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"to empty", "a\n", "", "--- a\n+++ b\n@@ -1 +0,0 @@\n-a\n"},
		{"one change", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			"--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "x\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ny\n",
			"--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n+x\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+y\n"},
		{"close changes merge", "1\n2\n3\n4\n5\n6\n7\n", "x\n2\n3\n4\n5\n6\ny\n",
			"--- a\n+++ b\n@@ -1,7 +1,7 @@\n-1\n+x\n 2\n 3\n 4\n 5\n 6\n-7\n+y\n"},
		{"no newline at end", "a\nb", "a\nc",
			"--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"},
		{"newline added at end", "a", "a\n",
			"--- a\n+++ b\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n"},
		{"insertion", "[agent]\n[[inputs.cpu]]\n", "[agent]\n  interval = \"10s\"\n[[inputs.cpu]]\n",
			"--- a\n+++ b\n@@ -1,2 +1,3 @@\n [agent]\n+  interval = \"10s\"\n [[inputs.cpu]]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Unified("a", "b", tt.a, tt.b, 3); got != tt.want {
				t.Errorf("Unified:\ngot:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// apply replays ops: the kept and removed lines must be a, kept and added b.
func apply(ops []Op) (a, b string) {
	var sa, sb strings.Builder
	for _, op := range ops {
		if op.Kind != '+' {
			sa.WriteString(op.Line)
		}
		if op.Kind != '-' {
			sb.WriteString(op.Line)
		}
	}
	return sa.String(), sb.String()
}

// lcs is the textbook dynamic programme, to check that Diff is minimal.
func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func randomText(r *rand.Rand, n int) string {
	var sb strings.Builder
	for range n {
		sb.WriteString(string(rune('a' + r.IntN(4))))
		sb.WriteByte('\n')
	}
	return sb.String()
}

func TestDiffIsCorrectAndMinimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		a, b := randomText(r, r.IntN(30)), randomText(r, r.IntN(30))
		ops := Diff(Lines(a), Lines(b))
		if ga, gb := apply(ops); ga != a || gb != b {
			t.Fatalf("case %d: replay gives %q, %q; want %q, %q", i, ga, gb, a, b)
		}
		edits := 0
		for _, op := range ops {
			if op.Kind != ' ' {
				edits++
			}
		}
		want := len(Lines(a)) + len(Lines(b)) - 2*lcs(Lines(a), Lines(b))
		if edits != want {
			t.Fatalf("case %d: %d edits, want the minimum %d", i, edits, want)
		}
	}
}

func TestDiffBeyondMaxEditsStaysCorrect(t *testing.T) {
	var a, b strings.Builder
	for i := range 3 * MaxEdits {
		a.WriteString(strings.Repeat("a", i%7) + "\n")
		b.WriteString(strings.Repeat("b", i%5) + "\n")
	}
	ops := Diff(Lines(a.String()), Lines(b.String()))
	if ga, gb := apply(ops); ga != a.String() || gb != b.String() {
		t.Fatalf("replay of a large diff does not reproduce its inputs")
	}
}

// TestUnifiedAppliesWithPatch feeds our output to patch(1), where it is
// installed: applied to a, it must give b exactly.
func TestUnifiedAppliesWithPatch(t *testing.T) {
	path, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("no patch command")
	}
	r := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	for i := range 200 {
		a, b := randomText(r, r.IntN(40)), randomText(r, r.IntN(40))
		if i%3 == 0 {
			a, b = strings.TrimSuffix(a, "\n"), strings.TrimSuffix(b, "\n")
		}
		fa := filepath.Join(dir, "a")
		if err := os.WriteFile(fa, []byte(a), 0o600); err != nil {
			t.Fatal(err)
		}
		u := Unified("a", "b", a, b, 3)
		if u == "" {
			continue
		}
		cmd := exec.Command(path, "-s", "-u", fa)
		cmd.Stdin = strings.NewReader(u)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("case %d: patch: %v %s\ndiff:\n%s", i, err, out, u)
		}
		got, _ := os.ReadFile(fa)
		if string(got) != b {
			t.Fatalf("case %d: patched a = %q, want %q\ndiff:\n%s", i, got, b, u)
		}
	}
}
