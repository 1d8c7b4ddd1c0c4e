package api

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
)

// Aliases: a config's or group's alias works wherever its id does, in the
// API's paths (/api/configs/{id}/..., /api/config-groups/{id}/...) and in
// the short URL /c/{alias}, which serves whatever the alias names now. An
// id is UUID-shaped and an alias never is, so which one a path holds is
// plain; what an alias names is answered from memory (aliasCache).

// aliasCache holds every alias with what it names, read in one query on
// first use after a change of any alias (the store's change feed calls
// AliasesChanged). gen counts changes: a read that began before one is
// used but not kept.
type aliasCache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[string]tc.Alias // nil: not loaded
}

// AliasesChanged forgets every alias: internal/app calls it from the
// store's change feed for every change of an alias (tc.EntityAlias), and
// when a cluster node may have missed changes.
func (s *Server) AliasesChanged() {
	s.aliases.mu.Lock()
	s.aliases.gen++
	s.aliases.m = nil
	s.aliases.mu.Unlock()
}

// lookupAlias returns what alias names, and whether it exists.
func (s *Server) lookupAlias(ctx context.Context, alias string) (tc.Alias, bool, error) {
	c := &s.aliases
	c.mu.RLock()
	m, gen := c.m, c.gen
	c.mu.RUnlock()
	if m == nil {
		var err error
		if m, err = s.Store.AliasTargets(ctx); err != nil {
			return tc.Alias{}, false, err
		}
		c.mu.Lock()
		if c.gen == gen {
			c.m = m
		}
		c.mu.Unlock()
	}
	a, ok := m[alias]
	return a, ok, nil
}

// resolveAliases wraps h, the handler of path, so that an alias in its
// {id} becomes the id of the config or group it names, when path is one
// of a config's or a group's (an alias of the other kind, or none, stays
// as written and is not found).
func (s *Server) resolveAliases(path string, h http.HandlerFunc) http.HandlerFunc {
	var kind string
	switch {
	case strings.HasPrefix(path, "/api/configs/{id}"):
		kind = tc.AliasConfig
	case strings.HasPrefix(path, "/api/config-groups/{id}"):
		kind = tc.AliasGroup
	default:
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if ref := r.PathValue("id"); !tc.IsUUIDShaped(ref) && tc.ValidateAlias(ref) == nil {
			a, ok, err := s.lookupAlias(r.Context(), ref)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if ok && a.Kind == kind {
				r.SetPathValue("id", a.TargetID)
			}
		}
		h(w, r)
	}
}

// handleShortURL registers GET (and HEAD) /c/{alias}: the TOML of what the
// alias names, with the query parameters and authentication of its own
// URL. The route table lists configs:read; an alias of a group needs
// config-groups:read instead, so the check is chosen per request.
func (s *Server) handleShortURL() {
	const pattern = "GET /c/{alias}"
	configRead, groupRead := tc.Perm(tc.ResConfigs, tc.ActionRead), tc.Perm(tc.ResConfigGroups, tc.ActionRead)
	s.routes = append(s.routes, Route{Method: http.MethodGet, Path: "/c/{alias}", Permission: configRead},
		Route{Method: http.MethodHead, Path: "/c/{alias}", Permission: configRead})
	asConfig, asGroup := s.authorize(configRead, s.shortURL), s.authorize(groupRead, s.shortURL)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if a, ok, err := s.lookupAlias(r.Context(), r.PathValue("alias")); err == nil && ok && a.Kind == tc.AliasGroup {
			asGroup.ServeHTTP(w, r)
			return
		}
		asConfig.ServeHTTP(w, r)
	})
}

// shortURL serves /c/{alias} once authorized: a config's alias as
// configTOML, a group's as serveGroup.
func (s *Server) shortURL(w http.ResponseWriter, r *http.Request) {
	alias := r.PathValue("alias")
	if tc.ValidateAlias(alias) != nil {
		s.fail(w, r, tc.Errorf(tc.ENOTFOUND, "alias not found"))
		return
	}
	a, ok, err := s.lookupAlias(r.Context(), alias)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		s.fail(w, r, tc.Errorf(tc.ENOTFOUND, "alias not found"))
		return
	}
	if a.Kind == tc.AliasGroup {
		s.serveGroup(w, r, a.TargetID)
		return
	}
	r.SetPathValue("id", a.TargetID)
	s.configTOML(w, r)
}

// The aliases of one config or group: /api/configs/{id}/aliases and
// /api/config-groups/{id}/aliases.

func (s *Server) listAliases(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		items, err := s.Aliases.List(r.Context(), kind, r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items, "total": len(items)})
	}
}

func (s *Server) addAlias(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req service.AliasRequest
		if err := s.decode(w, r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
		a, err := s.Aliases.Add(r.Context(), kind, r.PathValue("id"), req)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		status := http.StatusCreated
		if req.Transfer {
			status = http.StatusOK
		}
		httpx.WriteJSON(w, status, a)
	}
}

func (s *Server) deleteAlias(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.Aliases.Delete(r.Context(), kind, r.PathValue("id"), r.PathValue("alias")); err != nil {
			s.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
