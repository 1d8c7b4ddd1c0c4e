package cli

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/client"
)

func tokensCommand() *Command {
	return &Command{
		Name: "tokens", Aliases: []string{"token"},
		Short: "API tokens: create (shown once), list, revoke, delete",
		Long: `API tokens. A token's value is shown once, by tokens create, and never again by
any command; lists show its last four characters.`,
		Subs: []*Command{
			{
				Name: "list", Aliases: []string{"ls"}, Short: "List tokens", Args: "[--status active|revoked] [--user ID] [--search S]",
				Examples: `tcctl tokens list
tcctl tokens list --status active -o json`,
				Setup: func(fs *flag.FlagSet) Runner {
					var status, user, search string
					fs.StringVar(&status, "status", "", "active or revoked")
					fs.StringVar(&user, "user", "", "only this user's tokens (id or username)")
					fs.StringVar(&search, "search", "", "tokens whose description holds this")
					return clientRunner(0, 0, "", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						if user != "" {
							u, err := resolveUser(ctx, c, user)
							if err != nil {
								return err
							}
							user = u.ID
						}
						ts, err := c.Tokens(ctx, status, user, search)
						if err != nil {
							return err
						}
						return a.print(client.List[tc.TokenInfo]{Items: ts, Total: int64(len(ts))}, func(w *tabwriter.Writer) {
							fmt.Fprintln(w, "ID\tDESCRIPTION\tTOKEN\tOWNER\tSTATUS\tPERMISSIONS\tLAST USED\tEXPIRES")
							for _, t := range ts {
								owner, st := "-", t.Status
								if t.Owner != nil {
									owner = t.Owner.Username
								}
								if t.Expired {
									st = "expired"
								}
								fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", t.ID, oneLine(t.Description, 30), t.Display, owner, st, len(t.EffectivePermissions), a.ago(t.LastUsedAt), when(t.ExpiresAt))
							}
						})
					})
				},
			},
			{
				Name: "get", Aliases: []string{"show"}, Short: "Show a token (never its value)", Args: "ID",
				Examples: `tcctl tokens get 6a1f...`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(1, 1, "the token's ID", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						t, err := c.Token(ctx, args[0])
						if err != nil {
							return err
						}
						return a.print(t, func(w *tabwriter.Writer) {
							fmt.Fprintf(w, "ID:\t%s\nDescription:\t%s\nToken:\t%s\nStatus:\t%s\nPermissions:\t%s\nEffective:\t%s\nExpires:\t%s\nLast used:\t%s\n",
								t.ID, t.Description, t.Display, t.Status, joined(t.Permissions), joined(t.EffectivePermissions), when(t.ExpiresAt), when(t.LastUsedAt))
						})
					})
				},
			},
			{
				Name: "create", Short: "Create a token for yourself; its value is printed once", Args: "--description D (--preset P | --permission P...) [--expires-in-days N]",
				Long: `Create a token for the user the current token acts as. Its value is printed
once, here, and cannot be shown again. Presets: telegraf-agent, read-only,
full-access (tcctl tokens presets). Permissions you do not hold are not granted
and are listed.`,
				Examples: `tcctl tokens create --description "web hosts" --preset telegraf-agent
tcctl tokens create --description ci --permission configs:read --permission configs:write --expires-in-days 90
TOKEN=$(tcctl tokens create --description ci --preset read-only -o json | jq -r .token)`,
				Setup: func(fs *flag.FlagSet) Runner {
					var description, preset string
					var perms stringList
					var days int
					fs.StringVar(&description, "description", "", "what the token is for (required)")
					fs.StringVar(&preset, "preset", "", "telegraf-agent, read-only or full-access")
					fs.Var(&perms, "permission", "resource:action, repeatable (e.g. configs:read)")
					fs.IntVar(&days, "expires-in-days", 0, "expire after this many days (1-3650; default never)")
					return func(ctx context.Context, a *App, args []string) error {
						if err := wantArgs(args, 0, 0, ""); err != nil {
							return err
						}
						if description == "" {
							return usagef("--description is required")
						}
						if (preset == "") == (len(perms) == 0) {
							return usagef("give --preset or --permission, one of them")
						}
						req := tc.TokenRequest{Description: description, Preset: preset, Permissions: perms}
						if days != 0 {
							req.ExpiresInDays = &days
						}
						c, err := a.Client()
						if err != nil {
							return err
						}
						t, err := c.CreateToken(ctx, req)
						if err != nil {
							return err
						}
						for _, d := range t.DeniedPermissions {
							fmt.Fprintf(a.Stderr, "tcctl: warning: not granted (you do not hold it): %s\n", d)
						}
						return a.print(t, func(w *tabwriter.Writer) {
							fmt.Fprintf(w, "Token %s created (%s, %d permissions).\n", t.ID, t.Description, len(t.Permissions))
							fmt.Fprintf(w, "Its value, shown this once only:\n\n%s\n", t.Secret)
						})
					}
				},
			},
			{
				Name: "presets", Short: "List the permission presets as they apply to you", Args: "",
				Examples: `tcctl tokens presets`,
				Setup: func(fs *flag.FlagSet) Runner {
					return func(ctx context.Context, a *App, args []string) error {
						c, err := a.Client()
						if err != nil {
							return err
						}
						ps, err := c.TokenPresets(ctx)
						if err != nil {
							return err
						}
						return a.print(client.List[tc.TokenPreset]{Items: ps, Total: int64(len(ps))}, func(w *tabwriter.Writer) {
							fmt.Fprintln(w, "PRESET\tPERMISSIONS")
							for _, p := range ps {
								fmt.Fprintf(w, "%s\t%s\n", p.Name, joined(p.Permissions))
							}
						})
					}
				},
			},
			{
				Name: "revoke", Short: "Revoke tokens for good (refused from the next request)", Args: "ID...",
				Examples: `tcctl tokens revoke 6a1f...`,
				Setup: func(fs *flag.FlagSet) Runner {
					return tokenEach("revoked", func(ctx context.Context, c *client.Client, id string) error {
						_, err := c.RevokeToken(ctx, id)
						return err
					})
				},
			},
			{
				Name: "delete", Aliases: []string{"rm"}, Short: "Delete token records (refused from the next request)", Args: "ID...",
				Examples: `tcctl tokens delete 6a1f...`,
				Setup: func(fs *flag.FlagSet) Runner {
					return tokenEach("deleted", func(ctx context.Context, c *client.Client, id string) error { return c.DeleteToken(ctx, id) })
				},
			},
		},
	}
}

func tokenEach(done string, fn func(ctx context.Context, c *client.Client, id string) error) Runner {
	return clientRunner(1, -1, "the token's ID", func(ctx context.Context, a *App, c *client.Client, args []string) error {
		for _, id := range args {
			if err := fn(ctx, c, id); err != nil {
				return fmt.Errorf("token %s: %w", id, err)
			}
			fmt.Fprintf(a.Stdout, "Token %s %s.\n", id, done)
		}
		return nil
	})
}
