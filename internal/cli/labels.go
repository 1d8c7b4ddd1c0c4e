package cli

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/client"
)

// defaultLabelColor is the colour of a label created without one.
const defaultLabelColor = "#6b7280"

func labelsCommand() *Command {
	return &Command{
		Name: "labels", Aliases: []string{"label"},
		Short: "Labels that tag configs, groups and agents",
		Long:  "Labels tag configs, config groups and agents. A label is named by its id or its name.",
		Subs: []*Command{
			{
				Name: "list", Aliases: []string{"ls"}, Short: "List labels", Args: "[flags]",
				Examples: `tcctl labels list
tcctl labels list -o json`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(0, 0, "", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						ls, err := c.Labels(ctx)
						if err != nil {
							return err
						}
						return a.print(client.List[*tc.Label]{Items: ls, Total: int64(len(ls))}, func(w *tabwriter.Writer) {
							fmt.Fprintln(w, "ID\tNAME\tCOLOR\tDESCRIPTION")
							for _, l := range ls {
								fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", l.ID, l.Name, l.Color, dash(oneLine(l.Description, 60)))
							}
						})
					})
				},
			},
			{
				Name: "create", Short: "Create a label", Args: "NAME [--color #rrggbb] [--description D]",
				Examples: `tcctl labels create prod --color "#dc2626" --description "production hosts"`,
				Setup: func(fs *flag.FlagSet) Runner {
					var color, description string
					fs.StringVar(&color, "color", defaultLabelColor, "colour, #rrggbb")
					fs.StringVar(&description, "description", "", "description")
					return clientRunner(1, 1, "the label's NAME", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						l, err := c.CreateLabel(ctx, client.LabelRequest{Name: &args[0], Color: &color, Description: &description})
						if err != nil {
							return err
						}
						return a.print(l, func(w *tabwriter.Writer) { fmt.Fprintf(w, "Label %q created: %s\n", l.Name, l.ID) })
					})
				},
			},
			{
				Name: "update", Short: "Rename a label, or change its colour or description", Args: "LABEL [--name N] [--color C] [--description D]",
				Examples: `tcctl labels update prod --name production --color "#b91c1c"`,
				Setup: func(fs *flag.FlagSet) Runner {
					var name, color, description string
					fs.StringVar(&name, "name", "", "new name")
					fs.StringVar(&color, "color", "", "new colour, #rrggbb")
					fs.StringVar(&description, "description", "", "new description")
					return func(ctx context.Context, a *App, args []string) error {
						if err := wantArgs(args, 1, 1, "the LABEL (id or name)"); err != nil {
							return err
						}
						var req client.LabelRequest
						fs.Visit(func(f *flag.Flag) {
							switch f.Name {
							case "name":
								req.Name = &name
							case "color":
								req.Color = &color
							case "description":
								req.Description = &description
							}
						})
						if req == (client.LabelRequest{}) {
							return usagef("nothing to change: give --name, --color or --description")
						}
						c, err := a.Client()
						if err != nil {
							return err
						}
						ix, err := loadLabels(ctx, c)
						if err != nil {
							return err
						}
						l, err := ix.resolve(args[0])
						if err != nil {
							return err
						}
						l, err = c.UpdateLabel(ctx, l.ID, req)
						if err != nil {
							return err
						}
						return a.print(l, func(w *tabwriter.Writer) { fmt.Fprintf(w, "Label %q updated.\n", l.Name) })
					}
				},
			},
			{
				Name: "delete", Aliases: []string{"rm"}, Short: "Delete labels (detached from every config and agent)", Args: "LABEL...",
				Examples: `tcctl labels delete staging`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(1, -1, "the LABEL (id or name)", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						ix, err := loadLabels(ctx, c)
						if err != nil {
							return err
						}
						for _, ref := range args {
							l, err := ix.resolve(ref)
							if err != nil {
								return err
							}
							if err := c.DeleteLabel(ctx, l.ID); err != nil {
								return err
							}
							fmt.Fprintf(a.Stdout, "Label %q deleted.\n", l.Name)
						}
						return nil
					})
				},
			},
		},
	}
}
