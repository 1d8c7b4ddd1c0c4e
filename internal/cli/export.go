package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/goccy/go-yaml"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/client"
)

func exportCommand() *Command {
	return &Command{
		Name: "export", Short: "Write the controller's configs to a directory, in apply's layout", Args: "DIR [--managed-only] [--force]",
		Long: `Write every config as NAME.toml (its TOML byte for byte) with a sidecar NAME.yaml
(id, name, description, labels, aliases, groups), the layout tcctl apply reads.
Applying the directory right after changes nothing. The sidecars keep each
config's id, so later renames in them change the config rather than replace it;
configs made in the UI stay unmarked (prune never deletes them) unless applied
with --adopt.`,
		Examples: `tcctl export configs/
tcctl export configs/ --managed-only      # only what apply manages
tcctl export configs/ --force             # overwrite files already there`,
		Setup: func(fs *flag.FlagSet) Runner {
			var managedOnly, force bool
			var marker string
			fs.BoolVar(&managedOnly, "managed-only", false, "only configs that carry the managed-by marker")
			fs.BoolVar(&force, "force", false, "write into a directory that already holds .toml or .yaml files, overwriting those of the same name")
			fs.StringVar(&marker, "marker", DefaultMarker, "the label that marks what apply manages (left out of the sidecars)")
			return func(ctx context.Context, a *App, args []string) error {
				if err := wantArgs(args, 1, 1, "the DIR to write"); err != nil {
					return err
				}
				dir := args[0]
				if entries, err := os.ReadDir(dir); err == nil && !force {
					for _, e := range entries {
						if n := e.Name(); strings.HasSuffix(n, ".toml") || strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") {
							return usagef("%s already holds %s: export into an empty directory, or give --force", dir, n)
						}
					}
				}
				c, err := a.Client()
				if err != nil {
					return err
				}
				files, err := exportFiles(ctx, c, marker, managedOnly)
				if err != nil {
					return err
				}
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
				for _, f := range files {
					if err := os.WriteFile(filepath.Join(dir, f.stem+".toml"), []byte(f.toml), 0o644); err != nil {
						return err
					}
					y, err := yaml.Marshal(f.meta)
					if err != nil {
						return err
					}
					if err := os.WriteFile(filepath.Join(dir, f.stem+".yaml"), y, 0o644); err != nil {
						return err
					}
				}
				out := make([]sidecar, len(files))
				for i, f := range files {
					out[i] = f.meta
				}
				return a.print(client.List[sidecar]{Items: out, Total: int64(len(out))}, func(w *tabwriter.Writer) {
					fmt.Fprintf(w, "Exported %d configs to %s.\n", len(files), dir)
				})
			}
		},
	}
}

type exported struct {
	stem string
	meta sidecar
	toml string
}

// exportFiles reads every config (or the managed ones) as apply's files.
func exportFiles(ctx context.Context, c *client.Client, marker string, managedOnly bool) ([]exported, error) {
	rs, err := loadRemote(ctx, c, marker)
	if err != nil {
		return nil, err
	}
	groupsOf := map[string][]string{}
	for _, g := range rs.groups {
		for _, m := range g.Members {
			groupsOf[m.ID] = append(groupsOf[m.ID], g.Name)
		}
	}
	var out []exported
	used := map[string]bool{}
	for _, x := range rs.configs {
		if managedOnly && !rs.managed(x.LabelIDs) {
			continue
		}
		meta := sidecar{ID: x.ID, Name: x.Name, Description: x.Description}
		for _, n := range rs.labels.names(x.LabelIDs) {
			if !strings.EqualFold(n, marker) {
				meta.Labels = append(meta.Labels, n)
			}
		}
		sort.Strings(meta.Labels)
		als, err := c.Aliases(ctx, tc.AliasConfig, x.ID)
		if err != nil {
			return nil, err
		}
		for _, al := range als {
			meta.Aliases = append(meta.Aliases, al.Alias)
		}
		sort.Strings(meta.Aliases)
		meta.Groups = slices.Clone(groupsOf[x.ID])
		sort.Strings(meta.Groups)
		stem := safeFileName(x.Name)
		for i := 2; used[stem]; i++ {
			stem = fmt.Sprintf("%s-%d", safeFileName(x.Name), i)
		}
		used[stem] = true
		out = append(out, exported{stem: stem, meta: meta, toml: x.TOML})
	}
	return out, nil
}
