package api

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"sync"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/docs"
	"github.com/telegrafcontroller/tc/internal/httpx"
)

// OpenAPIDocument merges docs/openapi/*.json (base.json first, then one file
// per resource, each holding "paths" and optionally "components") into one
// document stamped with version.
func OpenAPIDocument(version string) ([]byte, error) {
	names, err := fs.Glob(docs.Files, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Slice(names, func(i, j int) bool {
		return names[i] == "openapi/base.json" || (names[j] != "openapi/base.json" && names[i] < names[j])
	})
	var doc map[string]any
	for _, name := range names {
		b, err := docs.Files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if doc == nil {
			doc = part
			continue
		}
		if err := mergeInto(doc, part, name); err != nil {
			return nil, err
		}
	}
	doc["info"].(map[string]any)["version"] = version
	return json.MarshalIndent(doc, "", "  ")
}

// mergeInto adds src's maps into dst recursively; a key defined twice with a
// non-map value is an error, so two files cannot silently disagree.
func mergeInto(dst, src map[string]any, name string) error {
	for k, v := range src {
		sv, isMap := v.(map[string]any)
		dv, exists := dst[k]
		if !exists {
			dst[k] = v
			continue
		}
		dm, dIsMap := dv.(map[string]any)
		if !isMap || !dIsMap {
			return fmt.Errorf("%s: %q is defined twice", name, k)
		}
		if err := mergeInto(dm, sv, name); err != nil {
			return err
		}
	}
	return nil
}

var openAPIOnce struct {
	sync.Once
	b   []byte
	err error
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	openAPIOnce.Do(func() { openAPIOnce.b, openAPIOnce.err = OpenAPIDocument(s.Version) })
	if openAPIOnce.err != nil {
		s.fail(w, r, fmt.Errorf("build openapi document: %w", openAPIOnce.err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openAPIOnce.b)
}

// apiDocs serves the interactive reference to signed-in users; others are
// sent to sign in first.
func (s *Server) apiDocs(w http.ResponseWriter, r *http.Request) {
	if tc.CallerFromContext(r.Context()) == nil {
		http.Redirect(w, r, "/login?next=/api/docs", http.StatusSeeOther)
		return
	}
	b, _ := docs.Files.ReadFile("apidocs.html")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", httpx.InlinePolicy(b))
	w.Write(b)
}
