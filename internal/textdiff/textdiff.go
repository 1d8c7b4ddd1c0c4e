// Package textdiff computes line diffs (Myers' O(ND) algorithm) and prints
// them in the unified format of diff -u, for comparing config versions.
package textdiff

import (
	"fmt"
	"strings"
)

// MaxEdits bounds the work of the Myers search: past this many differing
// lines (after the common prefix and suffix are set aside) the middle is
// reported as removed and added whole. The diff is then still correct, just
// not minimal, and memory stays bounded (about MaxEdits² integers).
const MaxEdits = 1000

// Op is one line of an edit script.
type Op struct {
	Kind byte   // ' ' kept, '-' removed, '+' added
	Line string // with its "\n", if it had one
}

// Lines splits s into lines, each keeping its "\n"; a last line without one
// is kept as is.
func Lines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// Diff returns an edit script turning a into b.
func Diff(a, b []string) []Op {
	// Set aside the common prefix and suffix: cheap, and typical edits of a
	// config touch a few lines in the middle.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ops := make([]Op, 0, len(a)+len(b))
	for _, l := range a[:pre] {
		ops = append(ops, Op{' ', l})
	}
	ops = append(ops, myers(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, l := range a[len(a)-suf:] {
		ops = append(ops, Op{' ', l})
	}
	return ops
}

// myers finds a shortest edit script with Myers' greedy algorithm, keeping
// for backtracking the diagonal frontier of every step d (indices -d-1..d+1).
func myers(a, b []string) []Op {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return wholesale(a, b)
	}
	limit := min(n+m, MaxEdits)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int
	for d := 0; d <= limit; d++ {
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace)
			}
		}
	}
	return wholesale(a, b)
}

// backtrack walks the recorded frontiers from (n, m) back to (0, 0).
func backtrack(a, b []string, trace [][]int) []Op {
	var rev []Op
	x, y := len(a), len(b)
	for d := len(trace) - 1; d >= 0; d-- {
		v := trace[d]
		at := func(k int) int { return v[k+d+1] }
		k := x - y
		var prevK int
		if k == -d || k != d && at(k-1) < at(k+1) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			rev = append(rev, Op{' ', a[x-1]})
			x, y = x-1, y-1
		}
		if d == 0 {
			break
		}
		if x == prevX {
			rev = append(rev, Op{'+', b[y-1]})
		} else {
			rev = append(rev, Op{'-', a[x-1]})
		}
		x, y = prevX, prevY
	}
	ops := make([]Op, len(rev))
	for i, op := range rev {
		ops[len(rev)-1-i] = op
	}
	return ops
}

func wholesale(a, b []string) []Op {
	ops := make([]Op, 0, len(a)+len(b))
	for _, l := range a {
		ops = append(ops, Op{'-', l})
	}
	for _, l := range b {
		ops = append(ops, Op{'+', l})
	}
	return ops
}

// Unified returns the unified diff of a and b with context lines around
// each change, headed by "--- aName" and "+++ bName"; "" when they are
// equal.
func Unified(aName, bName, a, b string, context int) string {
	ops := Diff(Lines(a), Lines(b))
	changed := false
	for _, op := range ops {
		if op.Kind != ' ' {
			changed = true
			break
		}
	}
	if !changed {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", aName, bName)
	// Walk the script, cutting it into hunks separated by more than
	// 2*context unchanged lines.
	aLine, bLine := 1, 1 // line numbers of ops[i] in a and b
	for i := 0; i < len(ops); {
		if ops[i].Kind == ' ' {
			aLine, bLine = aLine+1, bLine+1
			i++
			continue
		}
		// A change at i: the hunk starts up to context lines before it.
		start := i
		for start > 0 && i-start < context && ops[start-1].Kind == ' ' {
			start--
		}
		aStart, bStart := aLine-(i-start), bLine-(i-start)
		// Extend until a run of more than 2*context kept lines (or the end).
		end := i
		for end < len(ops) {
			if ops[end].Kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].Kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(end+context, run)
				break
			}
			end = run
		}
		aCount, bCount := 0, 0
		for _, op := range ops[start:end] {
			if op.Kind != '+' {
				aCount++
			}
			if op.Kind != '-' {
				bCount++
			}
		}
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(aStart, aCount), hunkRange(bStart, bCount))
		for _, op := range ops[start:end] {
			sb.WriteByte(op.Kind)
			sb.WriteString(op.Line)
			if !strings.HasSuffix(op.Line, "\n") {
				sb.WriteString("\n\\ No newline at end of file\n")
			}
		}
		// Advance the line counters over ops[i:end].
		for _, op := range ops[i:end] {
			if op.Kind != '+' {
				aLine++
			}
			if op.Kind != '-' {
				bLine++
			}
		}
		i = end
	}
	return sb.String()
}

// hunkRange formats "start,count" the way diff -u does: ",1" is omitted, and
// an empty range names the line before it.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}
