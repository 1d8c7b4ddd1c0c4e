package client

import (
	"context"
	"net/http"

	"github.com/telegrafcontroller/tc"
)

// aliasBase is the path of kind's (tc.AliasConfig or tc.AliasGroup) object ref.
func aliasBase(kind, ref string) string {
	if kind == tc.AliasGroup {
		return "/api/config-groups/" + seg(ref) + "/aliases"
	}
	return "/api/configs/" + seg(ref) + "/aliases"
}

// Aliases lists the aliases of a config or group.
func (c *Client) Aliases(ctx context.Context, kind, ref string) ([]tc.Alias, error) {
	var out List[tc.Alias]
	return out.Items, c.Do(ctx, http.MethodGet, aliasBase(kind, ref), nil, nil, &out)
}

// AddAlias gives a config or group an alias; transfer moves it from
// whatever it names now.
func (c *Client) AddAlias(ctx context.Context, kind, ref, alias string, transfer bool) (*tc.Alias, error) {
	var out tc.Alias
	body := map[string]any{"alias": alias}
	if transfer {
		body["transfer"] = true
	}
	return &out, c.Do(ctx, http.MethodPost, aliasBase(kind, ref), nil, body, &out)
}

// DeleteAlias removes an alias of a config or group.
func (c *Client) DeleteAlias(ctx context.Context, kind, ref, alias string) error {
	return c.Do(ctx, http.MethodDelete, aliasBase(kind, ref)+"/"+seg(alias), nil, nil, nil)
}
