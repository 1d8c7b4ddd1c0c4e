package api

import (
	"context"
	"net/http"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/render"
)

// Serving a group's TOML: GET and HEAD /api/config-groups/{id}/toml, and
// /c/{alias} for a group's alias. The members are rendered in order with
// the request's parameters, each after a comment naming it
// (render.RenderGroup); Last-Modified is the group's revision, which the
// store moves on every change of what feeds the render (members, their
// order, a member's TOML or name, a constant a member uses, an alias moved
// onto the group). Renders are cached per (group, raw query) in a cache of
// their own (s.groupTOMLs), dropped when the store announces a change of
// the group, as config renders are (config_toml.go).

// GroupsChanged drops every cached render of the given groups. internal/app
// calls it from the store's change feed for every change of a group
// (tc.EntityConfigGroup); call it only after Register.
func (s *Server) GroupsChanged(ids []string) { s.groupTOMLs.invalidate(ids) }

// GroupsReset drops every cached group render (a cluster node that may have
// missed changes).
func (s *Server) GroupsReset() { s.groupTOMLs.reset() }

// loadGroupRenders reads a group's members and the constants they use.
func (s *Server) loadGroupRenders(ctx context.Context, id string) (*configRenders, error) {
	g, err := s.Store.GroupForServing(ctx, id)
	if err != nil {
		return nil, err
	}
	members := make([]render.Member, len(g.Members))
	served := make([]tc.ServedMember, len(g.Members))
	var names, params []string
	seen, seenParam := map[string]bool{}, map[string]bool{}
	for i, m := range g.Members {
		served[i] = tc.ServedMember{ConfigID: m.ID, Version: m.Version}
		members[i] = render.Member{Header: tc.GroupMemberHeader(tc.ConfigRef{ID: m.ID, Name: m.Name}), Tmpl: render.Parse(m.TOML)}
		for _, n := range members[i].Tmpl.Constants {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		for _, n := range members[i].Tmpl.Params() {
			if !seenParam[n] {
				seenParam[n] = true
				params = append(params, n)
			}
		}
	}
	consts, err := s.Store.ConstantValues(ctx, names)
	if err != nil {
		return nil, err
	}
	return &configRenders{
		members:      members,
		params:       params,
		served:       served,
		revision:     g.RevisionAt,
		constants:    consts,
		lastModified: []string{g.RevisionAt.UTC().Format(http.TimeFormat)},
		disposition:  []string{contentDisposition(g.Name)},
		items:        map[string]*rendered{},
	}, nil
}

// groupRenderFor returns the render of group id for the raw query string,
// from the group cache when it is there.
func (s *Server) groupRenderFor(ctx context.Context, id, rawQuery string) (*rendered, error) {
	return s.renderFrom(ctx, s.groupTOMLs, id, rawQuery, s.loadGroupRenders)
}

// groupTOML serves GET and HEAD /api/config-groups/{id}/toml.
func (s *Server) groupTOML(w http.ResponseWriter, r *http.Request) {
	s.serveGroup(w, r, r.PathValue("id"))
}

// serveGroup answers a group's TOML for r: the one place a group is
// served from (its own URL and its aliases' short URLs), errors without
// Last-Modified.
func (s *Server) serveGroup(w http.ResponseWriter, r *http.Request, id string) {
	e, err := s.groupRenderFor(r.Context(), id, r.URL.RawQuery)
	if err == nil {
		err = e.err
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerTOML(w, r, tc.ServeGroup, id, e)
}
