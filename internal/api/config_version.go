package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/textdiff"
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

// writeVersion answers one version of config id with its TOML, marking
// whether it is the current one.
func (s *Server) writeVersion(w http.ResponseWriter, r *http.Request, id string, v *tc.ConfigVersion) {
	current, err := s.Store.ConfigCurrentVersion(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := newVersionJSON(v, current)
	out.TOML = &v.TOML
	httpx.WriteJSON(w, http.StatusOK, out)
}

// versionParam parses a version number from the path or the query.
func versionParam(field, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, tc.FieldErrorf(field, "%s must be a positive integer", field)
	}
	return n, nil
}

// listConfigVersions lists a config's versions, newest first.
func (s *Server) listConfigVersions(w http.ResponseWriter, r *http.Request) {
	versions, current, err := s.Store.ConfigVersions(r.Context(), r.PathValue("id"))
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
	n, err := versionParam("version", r.PathValue("version"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	v, err := s.Store.ConfigVersion(r.Context(), id, n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeVersion(w, r, id, v)
}

// diffConfigVersions answers a unified diff from version ?from= to ?to=.
func (s *Server) diffConfigVersions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err := versionParam("from", q.Get("from"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to, err := versionParam("to", q.Get("to"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	a, err := s.Store.ConfigVersion(r.Context(), id, from)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.Store.ConfigVersion(r.Context(), id, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	diff := textdiff.Unified(fmt.Sprintf("version %d", from), fmt.Sprintf("version %d", to), a.TOML, b.TOML, 3)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "identical": diff == "", "diff": diff})
}

// rollbackConfigVersion makes version n's TOML current again by recording
// it as a new version whose note names n (and the caller's note, if any).
func (s *Server) rollbackConfigVersion(w http.ResponseWriter, r *http.Request) {
	n, err := versionParam("version", r.PathValue("version"))
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
	note := fmt.Sprintf("Rollback to version %d", n)
	if extra := strings.TrimSpace(req.Note); extra != "" {
		note += ": " + extra
	}
	if err := tc.CheckChangeNote(note); err != nil {
		s.fail(w, r, tc.FieldErrorf("note", "note is too long: a rollback note must fit in %d characters with its %q prefix", tc.MaxChangeNoteLen, "Rollback to version N: "))
		return
	}
	c, err := s.Store.RollbackConfig(r.Context(), r.PathValue("id"), n, note, callerID(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

// patchConfigVersion edits a version's change note (the only mutable part
// of a version).
func (s *Server) patchConfigVersion(w http.ResponseWriter, r *http.Request) {
	n, err := versionParam("version", r.PathValue("version"))
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
	if req.Note == nil {
		s.fail(w, r, tc.FieldErrorf("note", "note is required"))
		return
	}
	if len([]rune(*req.Note)) > tc.MaxChangeNoteLen {
		s.fail(w, r, tc.FieldErrorf("note", "note must be at most %d characters", tc.MaxChangeNoteLen))
		return
	}
	id := r.PathValue("id")
	v, err := s.Store.SetConfigVersionNote(r.Context(), id, n, *req.Note)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeVersion(w, r, id, v)
}

// deleteConfigVersion removes one version; the current one and the last
// remaining one are refused with 409.
func (s *Server) deleteConfigVersion(w http.ResponseWriter, r *http.Request) {
	n, err := versionParam("version", r.PathValue("version"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.DeleteConfigVersion(r.Context(), r.PathValue("id"), n); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// pruneConfigVersions deletes old versions by number or by time, never the
// current one.
func (s *Server) pruneConfigVersions(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BeforeVersion *int       `json:"beforeVersion"`
		BeforeTime    *time.Time `json:"beforeTime"`
	}
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var beforeVersion int
	var beforeTime time.Time
	switch {
	case (req.BeforeVersion == nil) == (req.BeforeTime == nil):
		s.fail(w, r, tc.Errorf(tc.EINVALID, "give exactly one of beforeVersion and beforeTime"))
		return
	case req.BeforeVersion != nil:
		if *req.BeforeVersion < 1 {
			s.fail(w, r, tc.FieldErrorf("beforeVersion", "beforeVersion must be a positive integer"))
			return
		}
		beforeVersion = *req.BeforeVersion
	default:
		beforeTime = *req.BeforeTime
	}
	n, err := s.Store.PruneConfigVersions(r.Context(), r.PathValue("id"), beforeVersion, beforeTime)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"deleted": n})
}
