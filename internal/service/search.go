package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// MaxSearchLen caps the text of a search.
const MaxSearchLen = 100

// SearchPerKind is how many results Search returns of each kind at most.
const SearchPerKind = 5

// Search is the search across kinds behind the search box on every page.
type Search struct {
	Store *store.Store
}

// SearchResult is one thing found: its kind ("agent", "config", "label",
// "token", "user"), id and name (for an agent, its id).
type SearchResult struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

// searchKinds are the kinds in the order results are listed, each with the
// permission that reading it takes.
var searchKinds = []struct {
	kind string
	perm tc.Permission
}{
	{"agent", tc.Perm(tc.ResAgents, tc.ActionRead)},
	{"config", tc.Perm(tc.ResConfigs, tc.ActionRead)},
	{"label", tc.Perm(tc.ResLabels, tc.ActionRead)},
	{"token", tc.Perm(tc.ResTokens, tc.ActionRead)},
	{"user", tc.Perm(tc.ResUsers, tc.ActionRead)},
}

// Find returns up to SearchPerKind results of each kind the caller may
// read whose id or name holds text (ignoring case and surrounding space);
// kinds the caller may not read are skipped, as are other users' tokens for
// callers who manage only their own, and tokens and users for a caller on a
// route exempted from authentication. Empty text finds nothing.
// Errors: EUNAUTHORIZED, EINVALID.
func (s *Search) Find(ctx context.Context, text string) ([]SearchResult, error) {
	c, err := require(ctx, "")
	if err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if len(text) > MaxSearchLen || !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0 {
		return nil, tc.FieldErrorf("q", "q must be UTF-8 text of at most %d bytes", MaxSearchLen)
	}
	out := []SearchResult{}
	if text == "" {
		return out, nil
	}
	for _, k := range searchKinds {
		if !c.Can(k.perm) {
			continue
		}
		if c.User == nil && (k.kind == "token" || k.kind == "user") {
			continue // never open to an exempted caller, as in the token and user services
		}
		owner := ""
		if k.kind == "token" && !tc.ManagesAllTokens(c.User.Role) {
			owner = c.User.ID
		}
		hits, err := s.Store.Search(ctx, k.kind, text, SearchPerKind, owner)
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			out = append(out, SearchResult{Kind: k.kind, ID: h.ID, Name: h.Name})
		}
	}
	return out, nil
}
