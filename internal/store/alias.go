package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/telegrafcontroller/tc"
)

// aliasTarget is the column of aliases that names a target of kind.
func aliasTarget(kind string) (col, table string, entity tc.Entity, err error) {
	switch kind {
	case tc.AliasConfig:
		return "config_id", "configs", tc.EntityConfig, nil
	case tc.AliasGroup:
		return "group_id", "config_groups", tc.EntityConfigGroup, nil
	}
	return "", "", "", tc.Errorf(tc.EINVALID, "unknown alias kind %q", kind)
}

func scanAlias(row interface{ Scan(...any) error }) (*tc.Alias, error) {
	var a tc.Alias
	var cfg, grp sql.NullString
	var created, updated int64
	if err := row.Scan(&a.Alias, &cfg, &grp, &created, &updated, &a.CreatedBy); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromMS(created), fromMS(updated)
	if cfg.Valid {
		a.Kind, a.TargetID = tc.AliasConfig, cfg.String
	} else {
		a.Kind, a.TargetID = tc.AliasGroup, grp.String
	}
	a.Agents = []string{}
	return &a, nil
}

const aliasColumns = `alias, config_id, group_id, created_at, updated_at, created_by`

// AliasByName returns one alias with the agents using it. Errors: ENOTFOUND.
func (s *Store) AliasByName(ctx context.Context, alias string) (*tc.Alias, error) {
	a, err := scanAlias(s.read.QueryRowContext(ctx, `SELECT `+aliasColumns+` FROM aliases WHERE alias = $1`, alias))
	if err == sql.ErrNoRows {
		return nil, notFound("alias")
	}
	if err != nil {
		return nil, fmt.Errorf("get alias: %w", err)
	}
	if err := s.fillAliasAgents(ctx, []*tc.Alias{a}); err != nil {
		return nil, err
	}
	return a, nil
}

// AliasesOf returns the aliases of one config or group, by name, each with
// the agents using it.
func (s *Store) AliasesOf(ctx context.Context, kind, id string) ([]*tc.Alias, error) {
	col, _, _, err := aliasTarget(kind)
	if err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+aliasColumns+` FROM aliases WHERE `+col+` = $1 ORDER BY alias`, id)
	if err != nil {
		return nil, fmt.Errorf("list aliases: %w", err)
	}
	defer rows.Close()
	out := []*tc.Alias{}
	for rows.Next() {
		a, err := scanAlias(rows)
		if err != nil {
			return nil, fmt.Errorf("list aliases: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list aliases: %w", err)
	}
	rows.Close()
	return out, s.fillAliasAgents(ctx, out)
}

// maxAliasAgents bounds the agents listed per alias (all are counted).
const maxAliasAgents = 100

// fillAliasAgents counts and lists (up to maxAliasAgents) the agents whose
// reported config URLs name each alias.
func (s *Store) fillAliasAgents(ctx context.Context, as []*tc.Alias) error {
	for _, a := range as {
		n, ids, err := s.AgentsUsingRefs(ctx, []string{a.Alias}, maxAliasAgents)
		if err != nil {
			return err
		}
		a.AgentCount, a.Agents = n, ids
	}
	return nil
}

// AgentsUsingRefs counts the agents whose reported config URLs name any
// of refs (group ids or aliases: agent_refs) and lists up to limit of them.
func (s *Store) AgentsUsingRefs(ctx context.Context, refs []string, limit int) (int, []string, error) {
	ids := []string{}
	if len(refs) == 0 {
		return 0, ids, nil
	}
	var args []any
	arg := placeholder(&args)
	in := bindEach(arg, refs)
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(DISTINCT agent_id) FROM agent_refs WHERE ref IN (`+in+`)`, args...).Scan(&n); err != nil {
		return 0, nil, fmt.Errorf("count agents using aliases: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT agent_id FROM agent_refs WHERE ref IN (`+in+`) ORDER BY agent_id LIMIT `+arg(limit), args...)
	if err != nil {
		return 0, nil, fmt.Errorf("list agents using aliases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return 0, nil, fmt.Errorf("list agents using aliases: %w", err)
		}
		ids = append(ids, id)
	}
	return n, ids, rows.Err()
}

// AliasTargets returns every alias with what it names (the resolver's
// cache, internal/api alias.go).
func (s *Store) AliasTargets(ctx context.Context) (map[string]tc.Alias, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+aliasColumns+` FROM aliases`)
	if err != nil {
		return nil, fmt.Errorf("read aliases: %w", err)
	}
	defer rows.Close()
	out := map[string]tc.Alias{}
	for rows.Next() {
		a, err := scanAlias(rows)
		if err != nil {
			return nil, fmt.Errorf("read aliases: %w", err)
		}
		out[a.Alias] = *a
	}
	return out, rows.Err()
}

// aliasTaken is the conflict of an alias that names something else.
func aliasTaken(ctx context.Context, tx *Tx, alias string) error {
	var cfg, grp sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT config_id, group_id FROM aliases WHERE alias = $1`, alias).Scan(&cfg, &grp)
	if err != nil {
		return &tc.Error{Code: tc.ECONFLICT, Field: "alias", Message: fmt.Sprintf("alias %q is taken", alias)}
	}
	what := ""
	if cfg.Valid {
		var name string
		tx.QueryRowContext(ctx, `SELECT name FROM configs WHERE id = $1`, cfg.String).Scan(&name)
		what = fmt.Sprintf("config %q", name)
	} else {
		var name string
		tx.QueryRowContext(ctx, `SELECT name FROM config_groups WHERE id = $1`, grp.String).Scan(&name)
		what = fmt.Sprintf("config group %q", name)
	}
	return &tc.Error{Code: tc.ECONFLICT, Field: "alias", Message: fmt.Sprintf("alias %q already names %s: transfer it instead", alias, what)}
}

// targetName returns the name of the config or group an alias would name.
// Errors: ENOTFOUND.
func targetName(ctx context.Context, tx *Tx, kind, id string) (string, error) {
	_, table, _, err := aliasTarget(kind)
	if err != nil {
		return "", err
	}
	var name string
	err = tx.QueryRowContext(ctx, `SELECT name FROM `+table+` WHERE id = $1`, id).Scan(&name)
	if err == sql.ErrNoRows {
		if kind == tc.AliasGroup {
			return "", notFound("config group")
		}
		return "", notFound("config")
	}
	if err != nil {
		return "", fmt.Errorf("get alias target: %w", err)
	}
	return name, nil
}

// CreateAlias makes alias name the config or group (kind) id, as actorID.
// Errors: ENOTFOUND (target), ECONFLICT (the alias names something).
func (s *Store) CreateAlias(ctx context.Context, alias, kind, id, actorID string) (*tc.Alias, error) {
	col, _, _, err := aliasTarget(kind)
	if err != nil {
		return nil, err
	}
	var out *tc.Alias
	err = s.withTx(ctx, func(tx *Tx) error {
		name, err := targetName(ctx, tx, kind, id)
		if err != nil {
			return err
		}
		var taken int
		switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM aliases WHERE alias = $1`, alias).Scan(&taken); err {
		case nil:
			return aliasTaken(ctx, tx, alias)
		case sql.ErrNoRows:
		default:
			return fmt.Errorf("create alias: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO aliases (alias, `+col+`, created_at, updated_at, created_by) VALUES ($1, $2, $3, $4, $5)`,
			alias, id, ms(tx.now), ms(tx.now), actorID)
		if IsConflict(err) { // taken since the check
			return &tc.Error{Code: tc.ECONFLICT, Field: "alias", Message: fmt.Sprintf("alias %q is taken", alias)}
		}
		if err != nil {
			return fmt.Errorf("create alias: %w", err)
		}
		tx.announce(ctx, tc.EntityAlias, tc.OpCreate, alias)
		tx.describe(tc.EntityAlias, alias, alias, map[string]string{"kind": kind, "targetId": id, "targetName": name})
		out = &tc.Alias{Alias: alias, Kind: kind, TargetID: id, CreatedAt: tx.now, UpdatedAt: tx.now, CreatedBy: actorID, Agents: []string{}}
		return nil
	})
	return out, err
}

// TransferAlias makes an existing alias name the config or group (kind)
// id instead, and returns what it named before. The new target's revision
// moves past both its own and the old target's, so that the Last-Modified
// of the alias's URL moves forward and agents watching it reload.
// Errors: ENOTFOUND (alias, target).
func (s *Store) TransferAlias(ctx context.Context, alias, kind, id string) (from tc.Alias, err error) {
	col, _, entity, err := aliasTarget(kind)
	if err != nil {
		return from, err
	}
	err = s.withTx(ctx, func(tx *Tx) error {
		a, err := scanAlias(tx.QueryRowContext(ctx, `SELECT `+aliasColumns+` FROM aliases WHERE alias = $1`, alias))
		if err == sql.ErrNoRows {
			return notFound("alias")
		}
		if err != nil {
			return fmt.Errorf("transfer alias: %w", err)
		}
		from = *a
		name, err := targetName(ctx, tx, kind, id)
		if err != nil {
			return err
		}
		if a.Kind == kind && a.TargetID == id {
			return nil // already there: nothing moves
		}
		oldCol, oldTable, _, _ := aliasTarget(a.Kind)
		var oldRev int64
		if err := tx.QueryRowContext(ctx, `SELECT revision_at FROM `+oldTable+` WHERE id = $1`, a.TargetID).Scan(&oldRev); err != nil {
			return fmt.Errorf("transfer alias: %w", err)
		}
		// Between two configs (or two groups) the column is the same one,
		// which PostgreSQL refuses to assign twice in one UPDATE.
		set := oldCol + ` = NULL, ` + col + ` = $1`
		if oldCol == col {
			set = col + ` = $1`
		}
		if _, err := tx.ExecContext(ctx, `UPDATE aliases SET `+set+`, updated_at = $2 WHERE alias = $3`,
			id, ms(tx.now), alias); err != nil {
			return fmt.Errorf("transfer alias: %w", err)
		}
		base := max(revisionBase(tx.now), oldRev+1000)
		if kind == tc.AliasGroup {
			err = bumpGroupRevisions(ctx, tx, []string{id}, base)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE configs SET `+nextRevisionSQL+` WHERE id = $2`, base, id)
		}
		if err != nil {
			return fmt.Errorf("transfer alias: %w", err)
		}
		tx.announce(ctx, tc.EntityAlias, tc.OpTransfer, alias)
		tx.describe(tc.EntityAlias, alias, alias, map[string]string{
			"fromKind": a.Kind, "fromId": a.TargetID, "kind": kind, "targetId": id, "targetName": name})
		tx.announce(ctx, entity, tc.OpRender, id)
		return nil
	})
	return from, err
}

// DeleteAlias deletes alias from the config or group (kind) id.
// Errors: ENOTFOUND (no such alias of that target).
func (s *Store) DeleteAlias(ctx context.Context, alias, kind, id string) error {
	col, _, _, err := aliasTarget(kind)
	if err != nil {
		return err
	}
	return s.withTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM aliases WHERE alias = $1 AND `+col+` = $2`, alias, id)
		if err != nil {
			return fmt.Errorf("delete alias: %w", err)
		}
		if affected(res) == 0 {
			return notFound("alias")
		}
		tx.announce(ctx, tc.EntityAlias, tc.OpDelete, alias)
		tx.describe(tc.EntityAlias, alias, alias, map[string]string{"kind": kind, "targetId": id})
		return nil
	})
}

// deleteAliasesOf deletes the aliases of the configs or groups ids (col:
// config_id or group_id), announcing each.
func deleteAliasesOf(ctx context.Context, tx *Tx, col string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	var args []any
	in := bindEach(placeholder(&args), ids)
	gone, err := queryStrings(ctx, tx, `DELETE FROM aliases WHERE `+col+` IN (`+in+`) RETURNING alias`, args...)
	if err != nil {
		return fmt.Errorf("delete aliases: %w", err)
	}
	tx.announce(ctx, tc.EntityAlias, tc.OpDelete, gone...)
	return nil
}

// writeAgentRefs replaces the group ids and aliases an agent's config URLs
// name (tc.ManagedRefs), each with the URL it was reported under, beside
// its config links (heartbeat.go writeLinks). They are resolved when read
// (serve.go refArm), so a transferred alias needs no rewrite.
func writeAgentRefs(ctx context.Context, tx *Tx, agentID string, refs []tc.ManagedConfig, isNew bool) error {
	if !isNew {
		if _, err := tx.ExecContext(ctx, `DELETE FROM agent_refs WHERE agent_id = $1`, agentID); err != nil {
			return fmt.Errorf("write heartbeats: unlink refs: %w", err)
		}
	}
	for _, ref := range refs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO agent_refs (agent_id, ref, url) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			agentID, ref.ID, ref.URL); err != nil {
			return fmt.Errorf("write heartbeats: link refs: %w", err)
		}
	}
	return nil
}
