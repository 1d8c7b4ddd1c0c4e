package cli

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/client"
)

func constantsCommand() *Command {
	return &Command{
		Name: "constants", Aliases: []string{"constant", "const"},
		Short: "Constants: values substituted for ::{name} in every config",
		Subs: []*Command{
			{
				Name: "list", Aliases: []string{"ls"}, Short: "List constants with the configs using them", Args: "",
				Examples: `tcctl constants list
tcctl constants list -o yaml`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(0, 0, "", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						cs, err := c.Constants(ctx)
						if err != nil {
							return err
						}
						return a.print(client.List[*tc.Constant]{Items: cs, Total: int64(len(cs))}, func(w *tabwriter.Writer) {
							fmt.Fprintln(w, "NAME\tVALUE\tUSED BY\tDESCRIPTION")
							for _, k := range cs {
								fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", k.Name, oneLine(k.Value, 40), len(k.Configs), dash(oneLine(k.Description, 40)))
							}
						})
					})
				},
			},
			{
				Name: "get", Aliases: []string{"show"}, Short: "Show a constant", Args: "NAME",
				Examples: `tcctl constants get influx_url
tcctl constants get influx_url -o json`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(1, 1, "the constant's NAME", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						cs, err := c.Constants(ctx)
						if err != nil {
							return err
						}
						for _, k := range cs {
							if k.Name == args[0] {
								return a.print(k, func(w *tabwriter.Writer) {
									names := make([]string, len(k.Configs))
									for i, r := range k.Configs {
										names[i] = r.Name
									}
									fmt.Fprintf(w, "Name:\t%s\nValue:\t%s\nDescription:\t%s\nUsed by:\t%s\n", k.Name, k.Value, dash(k.Description), joined(names))
								})
							}
						}
						return notFoundf("no constant named %q", args[0])
					})
				},
			},
			{
				Name: "set", Short: "Create a constant, or change its value", Args: "NAME VALUE [--description D]",
				Examples: `tcctl constants set influx_url https://influx.example.com:8086 --description "where metrics go"`,
				Setup: func(fs *flag.FlagSet) Runner {
					var description string
					fs.StringVar(&description, "description", "", "description")
					return func(ctx context.Context, a *App, args []string) error {
						if err := wantArgs(args, 2, 2, "the constant's NAME and VALUE"); err != nil {
							return err
						}
						if !tc.ValidConstantName(args[0]) {
							return usagef("a constant's name is 1 to 64 of a-z, 0-9 and _")
						}
						c, err := a.Client()
						if err != nil {
							return err
						}
						var desc *string
						fs.Visit(func(f *flag.Flag) {
							if f.Name == "description" {
								desc = &description
							}
						})
						k, err := c.UpdateConstant(ctx, args[0], &args[1], desc)
						if client.IsNotFound(err) {
							k, err = c.CreateConstant(ctx, args[0], args[1], description)
						}
						if err != nil {
							return err
						}
						return a.print(k, func(w *tabwriter.Writer) {
							fmt.Fprintf(w, "Constant %q set; %d configs use it.\n", k.Name, len(k.Configs))
						})
					}
				},
			},
			{
				Name: "delete", Aliases: []string{"rm"}, Short: "Delete unused constants", Args: "NAME...",
				Examples: `tcctl constants delete old_url`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(1, -1, "the constant's NAME", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						for _, n := range args {
							if err := c.DeleteConstant(ctx, n); err != nil {
								return err
							}
							fmt.Fprintf(a.Stdout, "Constant %q deleted.\n", n)
						}
						return nil
					})
				},
			},
		},
	}
}
