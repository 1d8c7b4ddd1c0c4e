package service

import (
	"context"
	"log/slog"
	"strings"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
	"github.com/telegrafcontroller/tc/internal/telegraf"
)

// ConfigGroups is the config group service: ordered lists of configs
// served as one document. Each method checks its config-groups:*
// permission again (require), so the UI and the API get the same answer.
type ConfigGroups struct {
	Store  *store.Store
	Logger *slog.Logger
}

func (s *ConfigGroups) log() *slog.Logger { return logger(s.Logger) }

// ConfigGroupRequest is a group to create, or the change of one (absent
// fields are left alone by Update). It is the body of POST and PATCH
// /api/config-groups.
type ConfigGroupRequest struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	MemberIDs   *[]string `json:"memberIds"`
	LabelIDs    *[]string `json:"labelIds"`
}

func (req *ConfigGroupRequest) check() error {
	if req.Name != nil {
		name, err := tc.ValidateConfigName(*req.Name)
		if err != nil {
			return err
		}
		req.Name = &name
	}
	if req.Description != nil && len(*req.Description) > tc.MaxConfigDescriptionLen {
		return tc.FieldErrorf("description", "description must be at most %d characters", tc.MaxConfigDescriptionLen)
	}
	if req.LabelIDs != nil && len(*req.LabelIDs) > MaxConfigLabels {
		return tc.FieldErrorf("labelIds", "at most %d labels", MaxConfigLabels)
	}
	if req.MemberIDs != nil {
		return tc.ValidateGroupMembers(*req.MemberIDs)
	}
	return nil
}

// GroupView is a group with what its pages and API answers show beside
// it: its aliases and how many agents fetch it (by id or alias).
type GroupView struct {
	*tc.ConfigGroup
	Aliases    []*tc.Alias `json:"aliases"`
	AgentCount int         `json:"agentCount"`
	Agents     []string    `json:"agents"` // some of them
	// AgentStates are some agents' states of the group (store
	// GroupAgentStates).
	AgentStates []tc.GroupAgentState `json:"agentStates"`
}

// List returns a page of groups and how many match f. Zero Page and Limit
// take their defaults, as do empty SortBy and SortOrder.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *ConfigGroups) List(ctx context.Context, f tc.ConfigGroupFilter) ([]*tc.ConfigGroup, int, error) {
	if _, err := require(ctx, tc.Perm(tc.ResConfigGroups, tc.ActionRead)); err != nil {
		return nil, 0, err
	}
	if err := pageOfList(&f.SortBy, &f.SortOrder, &f.Page, &f.Limit); err != nil {
		return nil, 0, err
	}
	f.Search = strings.TrimSpace(f.Search)
	return s.Store.ListConfigGroups(ctx, f)
}

// Get returns group id (or the group an alias names) with its aliases and
// the agents using it. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *ConfigGroups) Get(ctx context.Context, id string) (*GroupView, error) {
	if _, err := require(ctx, tc.Perm(tc.ResConfigGroups, tc.ActionRead)); err != nil {
		return nil, err
	}
	g, err := s.Store.ConfigGroupByID(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &GroupView{ConfigGroup: g}
	if v.Aliases, err = s.Store.AliasesOf(ctx, tc.AliasGroup, g.ID); err != nil {
		return nil, err
	}
	refs := []string{g.ID}
	for _, a := range v.Aliases {
		refs = append(refs, a.Alias)
	}
	if v.AgentCount, v.Agents, err = s.Store.AgentsUsingRefs(ctx, refs, 100); err != nil {
		return nil, err
	}
	if v.AgentStates, err = s.Store.GroupAgentStates(ctx, g.ID, 100); err != nil {
		return nil, err
	}
	return v, nil
}

// Create stores a new group, recorded as the caller's, and returns it with
// the warnings of its merged TOML (errors refuse it).
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID, ECONFLICT.
func (s *ConfigGroups) Create(ctx context.Context, in ConfigGroupRequest) (*tc.ConfigGroup, []telegraf.Problem, error) {
	c, err := require(ctx, tc.Perm(tc.ResConfigGroups, tc.ActionWrite))
	if err != nil {
		return nil, nil, err
	}
	if in.Name == nil {
		return nil, nil, tc.FieldErrorf("name", "name is required")
	}
	if err := in.check(); err != nil {
		return nil, nil, err
	}
	g := &tc.ConfigGroup{Name: *in.Name, CreatedBy: authorID(c), LabelIDs: []string{}, Members: []tc.ConfigRef{}}
	if in.Description != nil {
		g.Description = *in.Description
	}
	if in.LabelIDs != nil {
		g.LabelIDs = *in.LabelIDs
	}
	var warnings []telegraf.Problem
	if in.MemberIDs != nil {
		for _, id := range *in.MemberIDs {
			g.Members = append(g.Members, tc.ConfigRef{ID: id})
		}
		if warnings, err = s.checkMerged(ctx, *in.MemberIDs); err != nil {
			return nil, nil, err
		}
	}
	if err := s.Store.CreateConfigGroup(ctx, g); err != nil {
		return nil, nil, err
	}
	s.log().Info("config group created", "group_id", g.ID, By(c))
	return g, warnings, nil
}

// Update applies in to group id. Errors: EUNAUTHORIZED, EFORBIDDEN,
// EINVALID, ENOTFOUND, ECONFLICT.
func (s *ConfigGroups) Update(ctx context.Context, id string, in ConfigGroupRequest) (*tc.ConfigGroup, []telegraf.Problem, error) {
	c, err := require(ctx, tc.Perm(tc.ResConfigGroups, tc.ActionWrite))
	if err != nil {
		return nil, nil, err
	}
	if err := in.check(); err != nil {
		return nil, nil, err
	}
	var warnings []telegraf.Problem
	if in.MemberIDs != nil {
		if warnings, err = s.checkMerged(ctx, *in.MemberIDs); err != nil {
			return nil, nil, err
		}
	}
	g, err := s.Store.UpdateConfigGroup(ctx, id, tc.ConfigGroupUpdate{
		Name: in.Name, Description: in.Description, MemberIDs: in.MemberIDs, LabelIDs: in.LabelIDs,
	}, authorID(c))
	if err != nil {
		return nil, nil, err
	}
	s.log().Info("config group changed", "group_id", g.ID, By(c))
	return g, warnings, nil
}

// Delete removes group id and its aliases (its configs stay).
// Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *ConfigGroups) Delete(ctx context.Context, id string) error {
	c, err := require(ctx, tc.Perm(tc.ResConfigGroups, tc.ActionDelete))
	if err != nil {
		return err
	}
	if err := s.Store.DeleteConfigGroup(ctx, id); err != nil {
		return err
	}
	s.log().Info("config group deleted", "group_id", id, By(c))
	return nil
}

// Merged is a group's members joined as served, unrendered (parameters and
// constants as written), with the report of validating that document.
type Merged struct {
	TOML   string          `json:"toml"`
	Report telegraf.Report `json:"-"`
}

// Merge joins the configs ids (a group's members, in order) as a group
// serves them, before substitution, and validates the result: what one
// member defines may clash with what another does.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID (a member that is no config).
func (s *ConfigGroups) Merge(ctx context.Context, ids []string) (Merged, error) {
	if _, err := require(ctx, tc.Perm(tc.ResConfigGroups, tc.ActionRead)); err != nil {
		return Merged{}, err
	}
	if err := tc.ValidateGroupMembers(ids); err != nil {
		return Merged{}, err
	}
	var b strings.Builder
	for _, id := range ids {
		cfg, err := s.Store.ConfigByID(ctx, id)
		if tc.ErrorCode(err) == tc.ENOTFOUND {
			return Merged{}, tc.FieldErrorf("memberIds", "config %q does not exist", id)
		}
		if err != nil {
			return Merged{}, err
		}
		b.WriteString(tc.GroupMemberHeader(tc.ConfigRef{ID: cfg.ID, Name: cfg.Name}))
		b.WriteString(cfg.TOML)
		if !strings.HasSuffix(cfg.TOML, "\n") {
			b.WriteByte('\n')
		}
	}
	m := Merged{TOML: b.String()}
	m.Report = telegraf.Validate(m.TOML)
	return m, nil
}

// checkMerged refuses members whose merged TOML has errors, and returns
// its warnings.
func (s *ConfigGroups) checkMerged(ctx context.Context, ids []string) ([]telegraf.Problem, error) {
	m, err := s.Merge(ctx, ids)
	if err != nil {
		return nil, err
	}
	if err := m.Report.Err(); err != nil {
		return nil, tc.FieldErrorf("memberIds", "the merged TOML is invalid at %s", err)
	}
	return m.Report.Warnings, nil
}
