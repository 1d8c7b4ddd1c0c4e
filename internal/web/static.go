package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// staticFiles serves the embedded assets under content-hashed names
// (app.3f2a9c1e.css), so they can be cached for a year: a changed file gets
// a new URL.
type staticFiles struct {
	byHashed map[string]staticFile // "app.3f2a9c1e.css" → file
	hashed   map[string]string     // "app.css" → "/static/app.3f2a9c1e.css"
}

type staticFile struct {
	body        []byte
	contentType string
}

func loadStatic() (*staticFiles, error) {
	s := &staticFiles{byHashed: map[string]staticFile{}, hashed: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		hashedName := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:10] + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		s.byHashed[hashedName] = staticFile{body: b, contentType: ct}
		s.hashed[name] = "/static/" + hashedName
		return nil
	})
	return s, err
}

// url returns the hashed URL of an asset ("app.css").
func (s *staticFiles) url(name string) string {
	if u, ok := s.hashed[name]; ok {
		return u
	}
	panic("web: unknown static file " + name)
}

func (s *staticFiles) serve(w http.ResponseWriter, r *http.Request) {
	f, ok := s.byHashed[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(f.body)
}
