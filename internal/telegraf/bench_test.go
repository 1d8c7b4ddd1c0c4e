package telegraf

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// benchDocs are about 1 MiB each (the API's default body cap): a realistic
// config repeated, and adversarial shapes that would be quadratic if
// positions or reference lookups were computed naively.
func benchDocs() map[string]string {
	var realistic strings.Builder
	for i := 0; realistic.Len() < 1<<20; i++ {
		fmt.Fprintf(&realistic, "[[inputs.http]]\n  urls = [\"&{target_%d:http://localhost:%d}\"]\n  token = \"${TOKEN}\"\n  timeout = \"5s\"\n\n", i%50, 8000+i%100)
	}
	var warnings strings.Builder
	for i := 0; warnings.Len() < 1<<20; i++ {
		fmt.Fprintf(&warnings, "[[outputs.custom_%d]]\n  password = \"p\"\n", i)
	}
	oneLine := "[agent]\n  x = \"" + strings.Repeat("&{a}", (1<<20)/4) + "\"\n"
	return map[string]string{"realistic": realistic.String(), "many-warnings": warnings.String(), "refs-on-one-line": oneLine}
}

// BenchmarkValidate measures Validate next to a baseline in the same run:
// go-toml decoding the same document into a map (what Validate did before it
// tracked redefinitions itself; quadratic in the number of sibling tables).
// Run: go test ./internal/telegraf -run X -bench Validate -benchtime 3x
func BenchmarkValidate(b *testing.B) {
	docs := benchDocs()
	for _, name := range []string{"realistic", "many-warnings", "refs-on-one-line"} {
		doc := docs[name]
		b.Run(name+"/validate", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				Validate(doc)
			}
		})
		b.Run(name+"/baseline-go-toml-unmarshal", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				var m map[string]any
				toml.Unmarshal([]byte(doc), &m)
			}
		})
	}
}
