package store

import (
	"fmt"
	"strings"
	"testing"
)

// TestSearchPart checks that the part of a term looked up in the trigram
// index is a substring of it (any substring finds every match) and skips
// the trigrams most agents share.
func TestSearchPart(t *testing.T) {
	var sample []string
	for i := range 1024 {
		n := i * 977
		sample = append(sample, fmt.Sprintf("agent-%07d\nhost-%07d\n10.%d.%d.%d", n, (n*7919)%1000000, n/65536%256, n/256%256, n%256))
	}
	for _, c := range []struct {
		term  string
		avoid []string // trigrams in every sampled agent
	}{
		{"agent-0054321", []string{"age", "gen", "ent", "nt-"}},
		{"host-0054321", []string{"hos", "ost", "st-"}},
		{"nomatch", nil},
		{"10.0.3.", []string{"10."}},
		{"abc", nil},
	} {
		part := searchPart(c.term, sample, 25, 1000000, 5000)
		if !strings.Contains(c.term, part) || len([]rune(part)) < 3 {
			t.Errorf("searchPart(%q) = %q, want a substring of three characters or more", c.term, part)
		}
		for _, a := range c.avoid {
			if strings.Contains(part, a) {
				t.Errorf("searchPart(%q) = %q, reads the common trigram %q", c.term, part, a)
			}
		}
	}
	if got := searchPart("agent-0054321", nil, 25, 0, 100); !strings.Contains("agent-0054321", got) {
		t.Errorf("searchPart without a sample = %q, want a substring", got)
	}
}
