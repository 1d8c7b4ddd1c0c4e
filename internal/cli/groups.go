package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/client"
)

func groupsCommand() *Command {
	return &Command{
		Name: "groups", Aliases: []string{"group", "config-groups"},
		Short: "Config groups: ordered lists of configs served as one TOML",
		Long:  "Config groups: ordered lists of configs served as one TOML. A group is named by its id, an alias or its name.",
		Subs: []*Command{
			{
				Name: "list", Aliases: []string{"ls"}, Short: "List config groups", Args: "[--search S] [--label L]",
				Examples: `tcctl groups list
tcctl groups list --label prod -o json`,
				Setup: func(fs *flag.FlagSet) Runner {
					var search, label string
					fs.StringVar(&search, "search", "", "only groups whose name, description or member names hold this")
					fs.StringVar(&label, "label", "", "only groups carrying this label (id or name)")
					return clientRunner(0, 0, "", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						labelID := ""
						if label != "" {
							ids, err := labelIDs(ctx, c, []string{label})
							if err != nil {
								return err
							}
							labelID = ids[0]
						}
						gs, total, err := c.Groups(ctx, search, labelID)
						if err != nil {
							return err
						}
						return a.print(client.List[*tc.ConfigGroup]{Items: gs, Total: total}, func(w *tabwriter.Writer) {
							fmt.Fprintln(w, "ID\tNAME\tMEMBERS\tUPDATED")
							for _, g := range gs {
								names := make([]string, len(g.Members))
								for i, m := range g.Members {
									names[i] = m.Name
								}
								fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", g.ID, oneLine(g.Name, 40), oneLine(joined(names), 60), a.ago(&g.UpdatedAt))
							}
						})
					})
				},
			},
			{
				Name: "get", Aliases: []string{"show"}, Short: "Show a config group with its members and aliases", Args: "GROUP",
				Examples: `tcctl groups get web-fleet`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(1, 1, "the GROUP (id, alias or name)", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						g, err := resolveGroup(ctx, c, args[0])
						if err != nil {
							return err
						}
						return a.print(g, func(w *tabwriter.Writer) {
							aliases := make([]string, len(g.Aliases))
							for i, al := range g.Aliases {
								aliases[i] = al.Alias
							}
							fmt.Fprintf(w, "ID:\t%s\nName:\t%s\nDescription:\t%s\nAliases:\t%s\nAgents:\t%d\nMembers:\n", g.ID, g.Name, dash(oneLine(g.Description, 80)), joined(aliases), g.AgentCount)
							for i, m := range g.Members {
								fmt.Fprintf(w, "  %d.\t%s\t%s\n", i+1, m.Name, m.ID)
							}
						})
					})
				},
			},
			{
				Name: "create", Short: "Create a config group", Args: "NAME [--config REF]... [--description D]",
				Examples: `tcctl groups create web-fleet --config base --config nginx`,
				Setup: func(fs *flag.FlagSet) Runner {
					var configs stringList
					var description string
					fs.Var(&configs, "config", "member config (id, alias or name), repeatable, in serving order")
					fs.StringVar(&description, "description", "", "description")
					return clientRunner(1, 1, "the group's NAME", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						ids, err := configIDs(ctx, c, configs)
						if err != nil {
							return err
						}
						g, err := c.CreateGroup(ctx, client.GroupRequest{Name: &args[0], Description: &description, MemberIDs: &ids})
						if err != nil {
							return err
						}
						return a.print(g, func(w *tabwriter.Writer) { fmt.Fprintf(w, "Config group %q created: %s\n", g.Name, g.ID) })
					})
				},
			},
			{
				Name: "update", Short: "Rename a group, or change its description or members", Args: "GROUP [--name N] [--description D] [--config REF]... [--no-configs]",
				Examples: `tcctl groups update web-fleet --config base --config nginx --config php
tcctl groups update web-fleet --name web`,
				Setup: func(fs *flag.FlagSet) Runner {
					var name, description string
					var configs stringList
					var none bool
					fs.StringVar(&name, "name", "", "new name")
					fs.StringVar(&description, "description", "", "new description")
					fs.Var(&configs, "config", "member config, repeatable: replaces the members, in serving order")
					fs.BoolVar(&none, "no-configs", false, "remove every member")
					return func(ctx context.Context, a *App, args []string) error {
						if err := wantArgs(args, 1, 1, "the GROUP (id, alias or name)"); err != nil {
							return err
						}
						var req client.GroupRequest
						fs.Visit(func(f *flag.Flag) {
							switch f.Name {
							case "name":
								req.Name = &name
							case "description":
								req.Description = &description
							}
						})
						c, err := a.Client()
						if err != nil {
							return err
						}
						if none {
							req.MemberIDs = &[]string{}
						} else if len(configs) > 0 {
							ids, err := configIDs(ctx, c, configs)
							if err != nil {
								return err
							}
							req.MemberIDs = &ids
						}
						if req.Name == nil && req.Description == nil && req.MemberIDs == nil {
							return usagef("nothing to change: give --name, --description, --config or --no-configs")
						}
						g, err := resolveGroup(ctx, c, args[0])
						if err != nil {
							return err
						}
						saved, err := c.UpdateGroup(ctx, g.ID, req)
						if err != nil {
							return err
						}
						return a.print(saved, func(w *tabwriter.Writer) { fmt.Fprintf(w, "Config group %q updated.\n", saved.Name) })
					}
				},
			},
			{
				Name: "delete", Aliases: []string{"rm"}, Short: "Delete config groups (their configs stay)", Args: "GROUP...",
				Examples: `tcctl groups delete web-fleet`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(1, -1, "the GROUP (id, alias or name)", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						for _, ref := range args {
							g, err := resolveGroup(ctx, c, ref)
							if err != nil {
								return err
							}
							if err := c.DeleteGroup(ctx, g.ID); err != nil {
								return err
							}
							fmt.Fprintf(a.Stdout, "Config group %q deleted.\n", g.Name)
						}
						return nil
					})
				},
			},
			{
				Name: "render", Short: "Print a group's TOML as an agent gets it", Args: "GROUP [-p name=value]...",
				Examples: `tcctl groups render web-fleet -p agent_id=web-1`,
				Setup: func(fs *flag.FlagSet) Runner {
					var params stringList
					fs.Var(&params, "p", "parameter name=value, repeatable")
					return func(ctx context.Context, a *App, args []string) error {
						if err := wantArgs(args, 1, 1, "the GROUP (id, alias or name)"); err != nil {
							return err
						}
						q, err := parseParams(params)
						if err != nil {
							return err
						}
						c, err := a.Client()
						if err != nil {
							return err
						}
						g, err := resolveGroup(ctx, c, args[0])
						if err != nil {
							return err
						}
						out, err := c.RenderGroup(ctx, g.ID, q)
						if err != nil {
							return err
						}
						_, err = io.WriteString(a.Stdout, out)
						return err
					}
				},
			},
		},
	}
}

// resolveGroup finds a group by id, alias or name.
func resolveGroup(ctx context.Context, c *client.Client, ref string) (*client.GroupView, error) {
	g, err := c.Group(ctx, ref)
	if err == nil {
		return g, nil
	}
	if s := client.StatusOf(err); s != 404 && s != 400 {
		return nil, err
	}
	gs, _, lerr := c.Groups(ctx, ref, "")
	if lerr != nil {
		return nil, lerr
	}
	for _, x := range gs {
		if strings.EqualFold(x.Name, ref) {
			return c.Group(ctx, x.ID)
		}
	}
	return nil, notFoundf("no config group with the id, alias or name %q", ref)
}

func configIDs(ctx context.Context, c *client.Client, refs []string) ([]string, error) {
	ids := []string{}
	for _, r := range refs {
		cfg, err := resolveConfig(ctx, c, r)
		if err != nil {
			return nil, err
		}
		ids = append(ids, cfg.ID)
	}
	return ids, nil
}
