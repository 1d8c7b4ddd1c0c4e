package cli

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/client"
)

// aliasTarget reads --config or --group: which object's aliases.
func aliasTarget(ctx context.Context, c *client.Client, config, group string) (kind, id, name string, err error) {
	switch {
	case config != "" && group != "":
		return "", "", "", usagef("give --config or --group, not both")
	case config != "":
		cfg, err := resolveConfig(ctx, c, config)
		if err != nil {
			return "", "", "", err
		}
		return tc.AliasConfig, cfg.ID, cfg.Name, nil
	case group != "":
		g, err := resolveGroup(ctx, c, group)
		if err != nil {
			return "", "", "", err
		}
		return tc.AliasGroup, g.ID, g.Name, nil
	}
	return "", "", "", usagef("--config REF or --group REF is required")
}

func aliasesCommand() *Command {
	targetFlags := func(fs *flag.FlagSet, config, group *string) {
		fs.StringVar(config, "config", "", "the config (id, alias or name)")
		fs.StringVar(group, "group", "", "the config group (id, alias or name)")
	}
	return &Command{
		Name: "aliases", Aliases: []string{"alias"},
		Short: "Aliases: short, stable names of configs and groups (/c/ALIAS)",
		Long: `Aliases are short, stable names of a config or a config group, usable wherever
its id is and in the short URL /c/ALIAS. Their namespace is shared by configs
and groups.`,
		Subs: []*Command{
			{
				Name: "list", Aliases: []string{"ls"}, Short: "List a config's or group's aliases", Args: "--config REF | --group REF",
				Examples: `tcctl aliases list --config web-base
tcctl aliases list --group web-fleet -o json`,
				Setup: func(fs *flag.FlagSet) Runner {
					var config, group string
					targetFlags(fs, &config, &group)
					return clientRunner(0, 0, "", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						kind, id, _, err := aliasTarget(ctx, c, config, group)
						if err != nil {
							return err
						}
						as, err := c.Aliases(ctx, kind, id)
						if err != nil {
							return err
						}
						return a.print(client.List[tc.Alias]{Items: as, Total: int64(len(as))}, func(w *tabwriter.Writer) {
							fmt.Fprintln(w, "ALIAS\tKIND\tAGENTS\tCREATED")
							for _, al := range as {
								fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", al.Alias, al.Kind, al.AgentCount, when(&al.CreatedAt))
							}
						})
					})
				},
			},
			{
				Name: "add", Short: "Give a config or group an alias (or move one to it)", Args: "ALIAS --config REF | --group REF [--transfer]",
				Examples: `tcctl aliases add web --config web-base
tcctl aliases add web --config web-v2 --transfer    # agents fetching /c/web follow`,
				Setup: func(fs *flag.FlagSet) Runner {
					var config, group string
					var transfer bool
					targetFlags(fs, &config, &group)
					fs.BoolVar(&transfer, "transfer", false, "move the alias here from whatever it names now")
					return func(ctx context.Context, a *App, args []string) error {
						if err := wantArgs(args, 1, 1, "the ALIAS"); err != nil {
							return err
						}
						if err := tc.ValidateAlias(args[0]); err != nil {
							return usagef("%s", tc.ErrorMessage(err))
						}
						c, err := a.Client()
						if err != nil {
							return err
						}
						kind, id, name, err := aliasTarget(ctx, c, config, group)
						if err != nil {
							return err
						}
						al, err := c.AddAlias(ctx, kind, id, args[0], transfer)
						if err != nil {
							return err
						}
						return a.print(al, func(w *tabwriter.Writer) { fmt.Fprintf(w, "Alias %q now names %s %q.\n", al.Alias, kind, name) })
					}
				},
			},
			{
				Name: "delete", Aliases: []string{"rm"}, Short: "Remove an alias", Args: "ALIAS --config REF | --group REF",
				Examples: `tcctl aliases delete web --config web-base`,
				Setup: func(fs *flag.FlagSet) Runner {
					var config, group string
					targetFlags(fs, &config, &group)
					return clientRunner(1, 1, "the ALIAS", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						kind, id, _, err := aliasTarget(ctx, c, config, group)
						if err != nil {
							return err
						}
						if err := c.DeleteAlias(ctx, kind, id, args[0]); err != nil {
							return err
						}
						fmt.Fprintf(a.Stdout, "Alias %q removed.\n", args[0])
						return nil
					})
				},
			},
		},
	}
}
