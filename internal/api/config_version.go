package api

import (
	"net/http"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
)

// configVersionJSON is a version as the API shows it: the TOML only when one
// version is asked for, and whether it is the config's current one.
type configVersionJSON struct {
	Version    int       `json:"version"`
	Note       string    `json:"note"`
	AuthorID   string    `json:"authorId"`
	AuthorName string    `json:"authorName"`
	CreatedAt  time.Time `json:"createdAt"`
	Current    bool      `json:"current"`
	TOML       *string   `json:"toml,omitempty"`
}

// newVersionJSON is v as the API shows it, without its TOML.
func newVersionJSON(v *tc.ConfigVersion, current int) configVersionJSON {
	return configVersionJSON{Version: v.Version, Note: v.Note, AuthorID: v.AuthorID, AuthorName: v.AuthorName,
		CreatedAt: v.CreatedAt, Current: v.Version == current}
}

// writeVersion answers one version with its TOML, marking whether it is the
// current one.
func writeVersion(w http.ResponseWriter, v *tc.ConfigVersion, current int) {
	out := newVersionJSON(v, current)
	out.TOML = &v.TOML
	httpx.WriteJSON(w, http.StatusOK, out)
}

// listConfigVersions lists a config's versions, newest first.
func (s *Server) listConfigVersions(w http.ResponseWriter, r *http.Request) {
	versions, current, err := s.Configs.Versions(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]configVersionJSON, len(versions))
	for i, v := range versions {
		items[i] = newVersionJSON(v, current)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "total": len(items), "currentVersion": current})
}

// getConfigVersion returns one version with its TOML.
func (s *Server) getConfigVersion(w http.ResponseWriter, r *http.Request) {
	n, err := service.ParseVersion("version", r.PathValue("version"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, current, err := s.Configs.Version(r.Context(), r.PathValue("id"), n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeVersion(w, v, current)
}

// diffConfigVersions answers a unified diff from version ?from= to ?to=.
func (s *Server) diffConfigVersions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err := service.ParseVersion("from", q.Get("from"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to, err := service.ParseVersion("to", q.Get("to"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	diff, err := s.Configs.Diff(r.Context(), r.PathValue("id"), from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "identical": diff == "", "diff": diff})
}

// rollbackConfigVersion makes version n's TOML current again as a new
// version; the body, optional, adds a note.
func (s *Server) rollbackConfigVersion(w http.ResponseWriter, r *http.Request) {
	n, err := service.ParseVersion("version", r.PathValue("version"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := s.decode(w, r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	c, err := s.Configs.Rollback(r.Context(), r.PathValue("id"), n, req.Note)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

// patchConfigVersion edits a version's change note.
func (s *Server) patchConfigVersion(w http.ResponseWriter, r *http.Request) {
	n, err := service.ParseVersion("version", r.PathValue("version"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req struct {
		Note *string `json:"note"`
	}
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	v, current, err := s.Configs.SetVersionNote(r.Context(), r.PathValue("id"), n, req.Note)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeVersion(w, v, current)
}

// deleteConfigVersion removes one version.
func (s *Server) deleteConfigVersion(w http.ResponseWriter, r *http.Request) {
	n, err := service.ParseVersion("version", r.PathValue("version"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Configs.DeleteVersion(r.Context(), r.PathValue("id"), n); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// pruneConfigVersions deletes old versions by number or by time.
func (s *Server) pruneConfigVersions(w http.ResponseWriter, r *http.Request) {
	var req service.PruneRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.Configs.PruneVersions(r.Context(), r.PathValue("id"), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"deleted": n})
}
