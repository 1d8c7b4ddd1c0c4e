package web

import (
	"strconv"
	"strings"
)

// diffLine is one line of a unified diff with its line numbers.
type diffLine struct {
	Kind     string // "ctx", "add", "del", "hunk"
	Old, New int    // 0 when the line has none on that side
	Text     string
}

// parseUnified reads a unified diff into lines, numbering each side from
// the hunk headers ("@@ -a,b +c,d @@").
func parseUnified(diff string) []diffLine {
	var out []diffLine
	oldN, newN := 0, 0
	for _, l := range strings.Split(strings.TrimRight(diff, "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "---"), strings.HasPrefix(l, "+++"), l == "":
		case strings.HasPrefix(l, "@@"):
			oldN, newN = hunkStart(l)
			out = append(out, diffLine{Kind: "hunk", Text: l})
		case strings.HasPrefix(l, "+"):
			newN++
			out = append(out, diffLine{Kind: "add", New: newN, Text: l[1:]})
		case strings.HasPrefix(l, "-"):
			oldN++
			out = append(out, diffLine{Kind: "del", Old: oldN, Text: l[1:]})
		case strings.HasPrefix(l, `\`):
		default:
			oldN++
			newN++
			out = append(out, diffLine{Kind: "ctx", Old: oldN, New: newN, Text: strings.TrimPrefix(l, " ")})
		}
	}
	return out
}

// hunkStart returns the line before each side's first line of a hunk.
func hunkStart(h string) (int, int) {
	f := strings.Fields(h)
	num := func(s string) int {
		s = strings.TrimLeft(s, "-+")
		s, _, _ = strings.Cut(s, ",")
		n, _ := strconv.Atoi(s)
		return n
	}
	if len(f) < 3 {
		return 0, 0
	}
	return max(num(f[1])-1, 0), max(num(f[2])-1, 0)
}

// splitRow is one row of a side-by-side diff.
type splitRow struct {
	Hunk                string
	Left, Right         *diffLine
	LeftKind, RightKind string
}

// splitRows pairs deletions with the additions that follow them, so a
// changed line sits opposite its replacement.
func splitRows(lines []diffLine) []splitRow {
	var out []splitRow
	for i := 0; i < len(lines); {
		l := lines[i]
		switch l.Kind {
		case "hunk":
			out = append(out, splitRow{Hunk: l.Text})
			i++
		case "ctx":
			out = append(out, splitRow{Left: &lines[i], Right: &lines[i], LeftKind: "ctx", RightKind: "ctx"})
			i++
		default:
			var dels, adds []*diffLine
			for i < len(lines) && lines[i].Kind == "del" {
				dels = append(dels, &lines[i])
				i++
			}
			for i < len(lines) && lines[i].Kind == "add" {
				adds = append(adds, &lines[i])
				i++
			}
			for j := 0; j < max(len(dels), len(adds)); j++ {
				row := splitRow{LeftKind: "empty", RightKind: "empty"}
				if j < len(dels) {
					row.Left, row.LeftKind = dels[j], "del"
				}
				if j < len(adds) {
					row.Right, row.RightKind = adds[j], "add"
				}
				out = append(out, row)
			}
		}
	}
	return out
}
