package telegraf

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// TestTrackerAgreesWithGoTOML generates random documents of headers and
// single-part keys and checks that Validate finds a redefinition exactly
// when go-toml's decoder refuses the document.
func TestTrackerAgreesWithGoTOML(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	names := []string{"a", "b", "c"}
	path := func() string {
		parts := make([]string, 1+r.IntN(3))
		for i := range parts {
			parts[i] = names[r.IntN(len(names))]
		}
		return strings.Join(parts, ".")
	}
	disagreements, refused := 0, 0
	for i := range 5000 {
		var doc strings.Builder
		for range 1 + r.IntN(6) {
			switch r.IntN(4) {
			case 0:
				doc.WriteString("[" + path() + "]\n")
			case 1:
				doc.WriteString("[[" + path() + "]]\n")
			case 2:
				doc.WriteString(names[r.IntN(len(names))] + " = 1\n")
			case 3:
				doc.WriteString(names[r.IntN(len(names))] + " = {x = 1}\n")
			}
		}
		src := doc.String()
		var m map[string]any
		goErr := toml.Unmarshal([]byte(src), &m)
		ours := ""
		for _, p := range Validate(src).Errors {
			if strings.Contains(p.Message, "already") {
				ours = p.Message
				break
			}
		}
		if goErr != nil {
			refused++
		}
		if (goErr != nil) != (ours != "") {
			disagreements++
			if disagreements <= 5 {
				t.Errorf("case %d:\n%s\ngo-toml: %v\nours: %q", i, src, goErr, ours)
			}
		}
	}
	t.Logf("%d of 5000 refused by both", refused)
	if disagreements > 0 {
		t.Errorf("%d of 5000 documents judged differently", disagreements)
	}
}
