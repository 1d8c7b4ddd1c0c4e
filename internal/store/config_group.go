package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/telegrafcontroller/tc"
)

const groupColumns = `id, name, description, created_at, updated_at, created_by, updated_by, revision_at`

func scanGroup(row interface{ Scan(...any) error }) (*tc.ConfigGroup, error) {
	var g tc.ConfigGroup
	var created, updated, revision int64
	if err := row.Scan(&g.ID, &g.Name, &g.Description, &created, &updated, &g.CreatedBy, &g.UpdatedBy, &revision); err != nil {
		return nil, err
	}
	g.CreatedAt, g.UpdatedAt, g.RevisionAt = fromMS(created), fromMS(updated), fromMS(revision)
	g.Members, g.LabelIDs = []tc.ConfigRef{}, []string{}
	return &g, nil
}

func groupNameTaken(name string) error {
	return &tc.Error{Code: tc.ECONFLICT, Field: "name", Message: fmt.Sprintf("a config group named %q already exists", name)}
}

// CreateConfigGroup inserts g with its members (g.Members' ids, in order)
// and labels, assigning id, timestamps and revision. Errors: ECONFLICT for
// a taken name, EINVALID for an unknown member or label.
func (s *Store) CreateConfigGroup(ctx context.Context, g *tc.ConfigGroup) error {
	return s.withTx(ctx, func(tx *Tx) error {
		g.ID = uuid.NewString()
		g.CreatedAt, g.UpdatedAt = tx.now, tx.now
		g.UpdatedBy = g.CreatedBy
		g.RevisionAt = fromMS(revisionBase(tx.now))
		_, err := tx.ExecContext(ctx, `INSERT INTO config_groups (`+groupColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			g.ID, g.Name, g.Description, ms(g.CreatedAt), ms(g.UpdatedAt), g.CreatedBy, g.UpdatedBy, ms(g.RevisionAt))
		if IsConflict(err) {
			return groupNameTaken(g.Name)
		}
		if err != nil {
			return fmt.Errorf("create config group: %w", err)
		}
		if g.Members, err = setGroupMembers(ctx, tx, g.ID, g.MemberIDs()); err != nil {
			return err
		}
		if g.LabelIDs, err = setGroupLabels(ctx, tx, g.ID, g.LabelIDs); err != nil {
			return err
		}
		tx.announce(ctx, tc.EntityConfigGroup, tc.OpCreate, g.ID)
		tx.describe(tc.EntityConfigGroup, g.ID, g.Name, map[string]any{"members": g.MemberIDs()})
		return nil
	})
}

// setGroupMembers replaces the group's members with ids, in order, and
// returns them named. Errors: EINVALID for an id that is no config.
func setGroupMembers(ctx context.Context, tx *Tx, groupID string, ids []string) ([]tc.ConfigRef, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM config_group_members WHERE group_id = $1`, groupID); err != nil {
		return nil, fmt.Errorf("set group members: %w", err)
	}
	out := make([]tc.ConfigRef, 0, len(ids))
	for i, id := range ids {
		ref := tc.ConfigRef{ID: id}
		err := tx.QueryRowContext(ctx, `SELECT name FROM configs WHERE id = $1`, id).Scan(&ref.Name)
		if err == sql.ErrNoRows {
			return nil, tc.FieldErrorf("memberIds", "config %q does not exist", id)
		}
		if err != nil {
			return nil, fmt.Errorf("set group members: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO config_group_members (group_id, position, config_id) VALUES ($1, $2, $3)`,
			groupID, i, id); err != nil {
			if IsConflict(err) {
				return nil, tc.FieldErrorf("memberIds", "config %q is listed twice", id)
			}
			return nil, fmt.Errorf("set group members: %w", err)
		}
		out = append(out, ref)
	}
	return out, nil
}

// setGroupLabels replaces the group's labels with ids (deduplicated).
func setGroupLabels(ctx context.Context, tx *Tx, groupID string, ids []string) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM config_group_labels WHERE group_id = $1`, groupID); err != nil {
		return nil, fmt.Errorf("set group labels: %w", err)
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if slices.Contains(out, id) {
			continue
		}
		var exists int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM labels WHERE id = $1`, id).Scan(&exists)
		if err == sql.ErrNoRows {
			return nil, tc.FieldErrorf("labelIds", "label %q does not exist", id)
		}
		if err != nil {
			return nil, fmt.Errorf("set group labels: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO config_group_labels (group_id, label_id) VALUES ($1, $2)`, groupID, id); err != nil {
			return nil, fmt.Errorf("set group labels: %w", err)
		}
		out = append(out, id)
	}
	return out, nil
}

// ConfigGroupByID returns one group with its members and labels.
// Errors: ENOTFOUND.
func (s *Store) ConfigGroupByID(ctx context.Context, id string) (*tc.ConfigGroup, error) {
	return groupByID(ctx, s.read, id)
}

func groupByID(ctx context.Context, q queryer, id string) (*tc.ConfigGroup, error) {
	g, err := scanGroup(q.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM config_groups WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return nil, notFound("config group")
	}
	if err != nil {
		return nil, fmt.Errorf("get config group: %w", err)
	}
	if err := loadGroupLinks(ctx, q, []*tc.ConfigGroup{g}); err != nil {
		return nil, err
	}
	return g, nil
}

// loadGroupLinks fills the members (in order) and labels of groups.
func loadGroupLinks(ctx context.Context, q queryer, gs []*tc.ConfigGroup) error {
	if len(gs) == 0 {
		return nil
	}
	byID := make(map[string]*tc.ConfigGroup, len(gs))
	ids := make([]string, len(gs))
	for i, g := range gs {
		byID[g.ID], ids[i] = g, g.ID
	}
	var args []any
	in := bindEach(placeholder(&args), ids)
	rows, err := q.QueryContext(ctx, `SELECT m.group_id, m.config_id, c.name FROM config_group_members m
		JOIN configs c ON c.id = m.config_id WHERE m.group_id IN (`+in+`) ORDER BY m.group_id, m.position`, args...)
	if err != nil {
		return fmt.Errorf("get group members: %w", err)
	}
	for rows.Next() {
		var gid string
		var ref tc.ConfigRef
		if err := rows.Scan(&gid, &ref.ID, &ref.Name); err != nil {
			rows.Close()
			return fmt.Errorf("get group members: %w", err)
		}
		byID[gid].Members = append(byID[gid].Members, ref)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("get group members: %w", err)
	}
	rows, err = q.QueryContext(ctx, `SELECT gl.group_id, gl.label_id FROM config_group_labels gl JOIN labels l ON l.id = gl.label_id
		WHERE gl.group_id IN (`+in+`) ORDER BY lower(l.name), l.id`, args...)
	if err != nil {
		return fmt.Errorf("get group labels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var gid, lid string
		if err := rows.Scan(&gid, &lid); err != nil {
			return fmt.Errorf("get group labels: %w", err)
		}
		byID[gid].LabelIDs = append(byID[gid].LabelIDs, lid)
	}
	return rows.Err()
}

// ListConfigGroups returns one page of groups matching f (the search also
// finds groups by their members' names) and the total count.
func (s *Store) ListConfigGroups(ctx context.Context, f tc.ConfigGroupFilter) ([]*tc.ConfigGroup, int, error) {
	var where []string
	var args []any
	arg := placeholder(&args)
	if f.Search != "" {
		p := arg(containsPattern(strings.ToLower(f.Search)))
		where = append(where, `(lower(name) LIKE `+p+` ESCAPE '\' OR lower(description) LIKE `+p+` ESCAPE '\'
			OR EXISTS (SELECT 1 FROM config_group_members m JOIN configs c ON c.id = m.config_id
				WHERE m.group_id = config_groups.id AND lower(c.name) LIKE `+p+` ESCAPE '\'))`)
	}
	if f.LabelID != "" {
		where = append(where, `EXISTS (SELECT 1 FROM config_group_labels gl WHERE gl.group_id = config_groups.id AND gl.label_id = `+arg(f.LabelID)+`)`)
	}
	cond := whereClause(where)
	var total int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM config_groups`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count config groups: %w", err)
	}
	order := "lower(name)"
	if f.SortBy == "updatedAt" {
		order = "updated_at"
	}
	dir := "ASC"
	if f.SortOrder == "desc" {
		dir = "DESC"
	}
	limit, offset := arg(f.Limit), arg((f.Page-1)*f.Limit)
	rows, err := s.read.QueryContext(ctx, `SELECT `+groupColumns+` FROM config_groups`+cond+
		` ORDER BY `+order+` `+dir+`, id `+dir+` LIMIT `+limit+` OFFSET `+offset, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list config groups: %w", err)
	}
	defer rows.Close()
	out := []*tc.ConfigGroup{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list config groups: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list config groups: %w", err)
	}
	rows.Close()
	if err := loadGroupLinks(ctx, s.read, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// UpdateConfigGroup applies u as actorID. New members or a new order move
// the revision (what agents are served changed); name, description and
// label edits do not. Errors: ENOTFOUND, ECONFLICT (name), EINVALID
// (member, label).
func (s *Store) UpdateConfigGroup(ctx context.Context, id string, u tc.ConfigGroupUpdate, actorID string) (*tc.ConfigGroup, error) {
	var out *tc.ConfigGroup
	err := s.withTx(ctx, func(tx *Tx) error {
		cur, err := groupByID(ctx, tx, id)
		if err != nil {
			return err
		}
		name, desc := cur.Name, cur.Description
		if u.Name != nil {
			name = *u.Name
		}
		if u.Description != nil {
			desc = *u.Description
		}
		_, err = tx.ExecContext(ctx, `UPDATE config_groups SET name = $1, description = $2, updated_at = $3, updated_by = $4 WHERE id = $5`,
			name, desc, ms(tx.now), actorID, id)
		if IsConflict(err) {
			return groupNameTaken(name)
		}
		if err != nil {
			return fmt.Errorf("update config group: %w", err)
		}
		var fields []string
		if name != cur.Name {
			fields = append(fields, "name")
		}
		if desc != cur.Description {
			fields = append(fields, "description")
		}
		details := map[string]any{}
		if u.MemberIDs != nil && !slices.Equal(*u.MemberIDs, cur.MemberIDs()) {
			if _, err := setGroupMembers(ctx, tx, id, *u.MemberIDs); err != nil {
				return err
			}
			if err := bumpGroupRevisions(ctx, tx, []string{id}, revisionBase(tx.now)); err != nil {
				return err
			}
			fields = append(fields, "members")
			details["members"] = *u.MemberIDs
		}
		if u.LabelIDs != nil {
			ids, err := setGroupLabels(ctx, tx, id, *u.LabelIDs)
			if err != nil {
				return err
			}
			if !sameSet(ids, cur.LabelIDs) {
				fields = append(fields, "labels")
			}
		}
		if len(fields) > 0 {
			tx.announce(ctx, tc.EntityConfigGroup, tc.OpUpdate, id)
			details["fields"] = fields
			if name != cur.Name {
				details["name"] = [2]string{cur.Name, name}
			}
			tx.describe(tc.EntityConfigGroup, id, name, details)
		}
		out, err = groupByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteConfigGroup deletes a group and its aliases; its member configs
// stay. Errors: ENOTFOUND.
func (s *Store) DeleteConfigGroup(ctx context.Context, id string) error {
	return s.withTx(ctx, func(tx *Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, `SELECT name FROM config_groups WHERE id = $1`, id).Scan(&name)
		if err == sql.ErrNoRows {
			return notFound("config group")
		}
		if err != nil {
			return fmt.Errorf("delete config group: %w", err)
		}
		if err := deleteAliasesOf(ctx, tx, "group_id", []string{id}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM config_groups WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete config group: %w", err)
		}
		tx.announce(ctx, tc.EntityConfigGroup, tc.OpDelete, id)
		tx.describe(tc.EntityConfigGroup, id, name, nil)
		return nil
	})
}

// bumpGroupRevisions moves the revisions of groups whose render changed
// to base, or one second past their previous value when that is later.
func bumpGroupRevisions(ctx context.Context, tx *Tx, ids []string, base int64) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE config_groups SET `+nextRevisionSQL+` WHERE id = $2`, base, id); err != nil {
			return fmt.Errorf("move group revision: %w", err)
		}
	}
	return nil
}

// configsRendered is told that the render of configs changed (their TOML,
// their name, a constant they use, or they are about to be deleted): the
// groups holding them render differently too, so their revisions move and
// their change is announced.
func configsRendered(ctx context.Context, tx *Tx, configIDs []string) error {
	if len(configIDs) == 0 {
		return nil
	}
	var args []any
	in := bindEach(placeholder(&args), configIDs)
	groups, err := queryStrings(ctx, tx, `SELECT DISTINCT group_id FROM config_group_members WHERE config_id IN (`+in+`) ORDER BY group_id`, args...)
	if err != nil {
		return fmt.Errorf("find groups of configs: %w", err)
	}
	if err := bumpGroupRevisions(ctx, tx, groups, revisionBase(tx.now)); err != nil {
		return err
	}
	tx.announce(ctx, tc.EntityConfigGroup, tc.OpRender, groups...)
	return nil
}

// ServedGroup is what serving a group's TOML needs: its members' TOML in
// order.
type ServedGroup struct {
	Name       string
	RevisionAt time.Time
	Members    []ServedMember
}

// ServedMember is one member of a served group.
type ServedMember struct {
	ID, Name, TOML string
	Version        int // the member's current version (a serve records it)
}

// GroupForServing reads the fields the group TOML endpoint renders from,
// in one transaction so that the revision matches the members read.
// Errors: ENOTFOUND.
func (s *Store) GroupForServing(ctx context.Context, id string) (ServedGroup, error) {
	var g ServedGroup
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return g, fmt.Errorf("get config group: %w", err)
	}
	defer tx.Rollback()
	var rev int64
	err = tx.QueryRowContext(ctx, `SELECT name, revision_at FROM config_groups WHERE id = $1`, id).Scan(&g.Name, &rev)
	if err == sql.ErrNoRows {
		return g, notFound("config group")
	}
	if err != nil {
		return g, fmt.Errorf("get config group: %w", err)
	}
	g.RevisionAt = fromMS(rev)
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.name, c.toml, c.current_version FROM config_group_members m JOIN configs c ON c.id = m.config_id
		WHERE m.group_id = $1 ORDER BY m.position`, id)
	if err != nil {
		return g, fmt.Errorf("get config group members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m ServedMember
		if err := rows.Scan(&m.ID, &m.Name, &m.TOML, &m.Version); err != nil {
			return g, fmt.Errorf("get config group members: %w", err)
		}
		g.Members = append(g.Members, m)
	}
	return g, rows.Err()
}

// GroupsOfConfig returns the groups config id is a member of, by name.
func (s *Store) GroupsOfConfig(ctx context.Context, id string) ([]tc.ConfigRef, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT g.id, g.name FROM config_group_members m JOIN config_groups g ON g.id = m.group_id
		WHERE m.config_id = $1 ORDER BY lower(g.name), g.id`, id)
	if err != nil {
		return nil, fmt.Errorf("get groups of config: %w", err)
	}
	defer rows.Close()
	out := []tc.ConfigRef{}
	for rows.Next() {
		var r tc.ConfigRef
		if err := rows.Scan(&r.ID, &r.Name); err != nil {
			return nil, fmt.Errorf("get groups of config: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
