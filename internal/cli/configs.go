package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/client"
	"github.com/telegrafcontroller/tc/internal/telegraf"
	"github.com/telegrafcontroller/tc/internal/textdiff"
)

func configsCommand() *Command {
	return &Command{
		Name: "configs", Aliases: []string{"config", "cfg"},
		Short: "Telegraf configurations: list, get, create, edit, validate, versions, render",
		Long: `Telegraf configurations stored in the controller and served to agents.

A config is named on the command line by its id, one of its aliases, or its
name (case-insensitive).`,
		Subs: []*Command{
			configsList(), configsGet(), configsCreate(), configsUpdate(), configsEdit(), configsDelete(),
			configsValidate(), configsVersions(), configsDiff(), configsRollback(), configsRender(),
		},
	}
}

// resolveConfig finds a config by id, alias or name.
func resolveConfig(ctx context.Context, c *client.Client, ref string) (*tc.Config, error) {
	cfg, err := c.Config(ctx, ref)
	if err == nil {
		return cfg, nil
	}
	if s := client.StatusOf(err); s != 404 && s != 400 {
		return nil, err
	}
	list, _, lerr := c.Configs(ctx, client.ConfigFilter{Search: ref})
	if lerr != nil {
		return nil, lerr
	}
	for _, x := range list {
		if strings.EqualFold(x.Name, ref) {
			return c.Config(ctx, x.ID)
		}
	}
	return nil, notFoundf("no config with the id, alias or name %q", ref)
}

// labelIndex maps label ids to names and back.
type labelIndex struct {
	byID   map[string]*tc.Label
	byName map[string]*tc.Label // lower-cased name
}

func loadLabels(ctx context.Context, c *client.Client) (*labelIndex, error) {
	ls, err := c.Labels(ctx)
	if err != nil {
		return nil, err
	}
	ix := &labelIndex{byID: map[string]*tc.Label{}, byName: map[string]*tc.Label{}}
	for _, l := range ls {
		ix.byID[l.ID] = l
		ix.byName[strings.ToLower(l.Name)] = l
	}
	return ix, nil
}

// names turns label ids into names (ids stay when unknown).
func (ix *labelIndex) names(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if ix != nil && ix.byID[id] != nil {
			out = append(out, ix.byID[id].Name)
		} else {
			out = append(out, id)
		}
	}
	return out
}

// resolve finds a label by id or name.
func (ix *labelIndex) resolve(ref string) (*tc.Label, error) {
	if l := ix.byID[ref]; l != nil {
		return l, nil
	}
	if l := ix.byName[strings.ToLower(ref)]; l != nil {
		return l, nil
	}
	return nil, notFoundf("no label with the id or name %q", ref)
}

// labelsOrNil reads the labels for display; without labels:read, tables show ids.
func labelsOrNil(ctx context.Context, c *client.Client) *labelIndex {
	ix, err := loadLabels(ctx, c)
	if err != nil {
		return nil
	}
	return ix
}

// readFile reads path, or standard input for "-".
func (a *App) readFile(path string) (string, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(a.Stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return string(b), nil
}

// checkTOML validates src locally with the controller's own validation and
// prints its problems as name:line:column; it returns false when there are
// errors.
func (a *App) checkTOML(name, src string, warnings bool) bool {
	rep := telegraf.Validate(src)
	for _, p := range rep.Errors {
		fmt.Fprintf(a.Stderr, "%s:%d:%d: error: %s\n", name, p.Line, p.Column, p.Message)
	}
	if warnings {
		for _, p := range rep.Warnings {
			fmt.Fprintf(a.Stderr, "%s:%d:%d: warning: %s\n", name, p.Line, p.Column, p.Message)
		}
	}
	return rep.Valid()
}

func (a *App) printWarnings(name string, ws []client.Problem) {
	for _, p := range ws {
		fmt.Fprintf(a.Stderr, "%s:%d:%d: warning: %s\n", name, p.Line, p.Column, p.Message)
	}
}

func configsList() *Command {
	return &Command{
		Name: "list", Aliases: []string{"ls"}, Short: "List configs", Args: "[flags]",
		Examples: `tcctl configs list
tcctl configs list --search cpu --label prod
tcctl configs list --sort updatedAt -o json`,
		Setup: func(fs *flag.FlagSet) Runner {
			var search, label, sortBy string
			var desc bool
			var limit int
			fs.StringVar(&search, "search", "", "only configs whose name or description holds this (case-insensitive)")
			fs.StringVar(&label, "label", "", "only configs carrying this label (id or name)")
			fs.StringVar(&sortBy, "sort", "name", "order: name or updatedAt")
			fs.BoolVar(&desc, "desc", false, "reverse the order")
			fs.IntVar(&limit, "limit", 0, "at most this many (0: all)")
			return clientRunner(0, 0, "", func(ctx context.Context, a *App, c *client.Client, args []string) error {
				f := client.ConfigFilter{Search: search, SortBy: sortBy, Max: limit}
				if desc {
					f.SortOrder = "desc"
				}
				var ix *labelIndex
				if label != "" {
					var err error
					if ix, err = loadLabels(ctx, c); err != nil {
						return err
					}
					l, err := ix.resolve(label)
					if err != nil {
						return err
					}
					f.LabelID = l.ID
				} else {
					ix = labelsOrNil(ctx, c)
				}
				list, total, err := c.Configs(ctx, f)
				if err != nil {
					return err
				}
				return a.print(client.List[*tc.Config]{Items: list, Total: total}, func(w *tabwriter.Writer) {
					fmt.Fprintln(w, "ID\tNAME\tVERSION\tLABELS\tUPDATED")
					for _, x := range list {
						fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", x.ID, oneLine(x.Name, 50), x.CurrentVersion, joined(ix.names(x.LabelIDs)), a.ago(&x.UpdatedAt))
					}
				})
			})
		},
	}
}

func configsGet() *Command {
	return &Command{
		Name: "get", Aliases: []string{"show"}, Short: "Show a config", Args: "REF [--toml]",
		Examples: `tcctl configs get web-base
tcctl configs get 0b7c... --toml > web.toml
tcctl configs get web-base -o yaml`,
		Setup: func(fs *flag.FlagSet) Runner {
			var onlyTOML bool
			fs.BoolVar(&onlyTOML, "toml", false, "print the TOML only, as stored")
			return clientRunner(1, 1, "the config (id, alias or name)", func(ctx context.Context, a *App, c *client.Client, args []string) error {
				cfg, err := resolveConfig(ctx, c, args[0])
				if err != nil {
					return err
				}
				if onlyTOML {
					_, err := io.WriteString(a.Stdout, cfg.TOML)
					return err
				}
				ix := labelsOrNil(ctx, c)
				aliases, _ := c.Aliases(ctx, tc.AliasConfig, cfg.ID)
				names := make([]string, len(aliases))
				for i, al := range aliases {
					names[i] = al.Alias
				}
				return a.print(cfg, func(w *tabwriter.Writer) {
					fmt.Fprintf(w, "ID:\t%s\nName:\t%s\nDescription:\t%s\nVersion:\t%d\nLabels:\t%s\nAliases:\t%s\nUpdated:\t%s\n",
						cfg.ID, cfg.Name, dash(oneLine(cfg.Description, 80)), cfg.CurrentVersion, joined(ix.names(cfg.LabelIDs)), joined(names), when(&cfg.UpdatedAt))
					w.Flush()
					fmt.Fprintf(a.Stdout, "\n%s", cfg.TOML)
				})
			})
		},
	}
}

func configsCreate() *Command {
	return &Command{
		Name: "create", Short: "Create a config from a TOML file", Args: "NAME [-f FILE] [flags]",
		Long: `Create a config. The TOML is validated locally first (errors name file:line:column);
without -f the controller gives it a heartbeat output pointing at itself.`,
		Examples: `tcctl configs create web-base -f web.toml --label prod --description "web servers"
cat web.toml | tcctl configs create web-base -f -`,
		Setup: func(fs *flag.FlagSet) Runner {
			var file, description, message string
			var labels stringList
			fs.StringVar(&file, "f", "", "TOML file (- for standard input)")
			fs.StringVar(&description, "description", "", "description")
			fs.Var(&labels, "label", "label (id or name), repeatable")
			fs.StringVar(&message, "message", "", "change note of version 1")
			return func(ctx context.Context, a *App, args []string) error {
				if err := wantArgs(args, 1, 1, "the config's NAME"); err != nil {
					return err
				}
				req := client.ConfigRequest{Name: &args[0], Description: &description, ChangeNote: message}
				if file != "" {
					src, err := a.readFile(file)
					if err != nil {
						return err
					}
					if !a.checkTOML(file, src, false) {
						return errSilent
					}
					req.TOML = &src
				}
				c, err := a.Client()
				if err != nil {
					return err
				}
				if len(labels) > 0 {
					ids, err := labelIDs(ctx, c, labels)
					if err != nil {
						return err
					}
					req.LabelIDs = &ids
				}
				cfg, err := c.CreateConfig(ctx, req)
				if err != nil {
					return err
				}
				a.printWarnings(dash(file), cfg.Warnings)
				return a.print(cfg, func(w *tabwriter.Writer) {
					fmt.Fprintf(w, "Config %q created: %s (version %d)\n", cfg.Name, cfg.ID, cfg.CurrentVersion)
				})
			}
		},
	}
}

func labelIDs(ctx context.Context, c *client.Client, refs []string) ([]string, error) {
	ix, err := loadLabels(ctx, c)
	if err != nil {
		return nil, err
	}
	ids := []string{}
	for _, r := range refs {
		l, err := ix.resolve(r)
		if err != nil {
			return nil, err
		}
		ids = append(ids, l.ID)
	}
	return ids, nil
}

func configsUpdate() *Command {
	return &Command{
		Name: "update", Short: "Change a config's name, description, labels or TOML", Args: "REF [flags]",
		Examples: `tcctl configs update web-base -f web.toml --message "collect nginx"
tcctl configs update web-base --name web --description "all web servers"
tcctl configs update web-base --label prod --label web`,
		Setup: func(fs *flag.FlagSet) Runner {
			var file, name, description, message string
			var labels stringList
			var noLabels bool
			fs.StringVar(&file, "f", "", "new TOML file (- for standard input)")
			fs.StringVar(&name, "name", "", "new name")
			fs.StringVar(&description, "description", "", "new description")
			fs.Var(&labels, "label", "label (id or name), repeatable: replaces the set")
			fs.BoolVar(&noLabels, "no-labels", false, "remove every label")
			fs.StringVar(&message, "message", "", "change note of the new version")
			return func(ctx context.Context, a *App, args []string) error {
				if err := wantArgs(args, 1, 1, "the config (id, alias or name)"); err != nil {
					return err
				}
				req := client.ConfigRequest{ChangeNote: message}
				set := false
				fs.Visit(func(f *flag.Flag) {
					switch f.Name {
					case "name":
						req.Name, set = &name, true
					case "description":
						req.Description, set = &description, true
					}
				})
				if file != "" {
					src, err := a.readFile(file)
					if err != nil {
						return err
					}
					if !a.checkTOML(file, src, false) {
						return errSilent
					}
					req.TOML, set = &src, true
				}
				c, err := a.Client()
				if err != nil {
					return err
				}
				if noLabels {
					req.LabelIDs, set = &[]string{}, true
				} else if len(labels) > 0 {
					ids, err := labelIDs(ctx, c, labels)
					if err != nil {
						return err
					}
					req.LabelIDs, set = &ids, true
				}
				if !set {
					return usagef("nothing to change: give -f, --name, --description, --label or --no-labels")
				}
				cfg, err := resolveConfig(ctx, c, args[0])
				if err != nil {
					return err
				}
				saved, err := c.UpdateConfig(ctx, cfg.ID, req)
				if err != nil {
					return err
				}
				a.printWarnings(dash(file), saved.Warnings)
				return a.print(saved, func(w *tabwriter.Writer) {
					fmt.Fprintf(w, "Config %q updated (version %d).\n", saved.Name, saved.CurrentVersion)
				})
			}
		},
	}
}

// editorHeader starts the lines tcctl adds above a config being edited to
// show its errors; they are removed before saving.
const editorHeader = "# tcctl: "

func configsEdit() *Command {
	return &Command{
		Name: "edit", Short: "Edit a config's TOML in $EDITOR, validated before it is saved", Args: "REF [--message M]",
		Long: `Open a config's TOML in $VISUAL or $EDITOR (default vi). When the editor exits the
TOML is validated; with errors, the editor opens again with them listed at the
top (as "# tcctl:" lines, removed before saving). Saving it unchanged, or empty,
cancels.`,
		Examples: `tcctl configs edit web-base
EDITOR="code --wait" tcctl configs edit web-base --message "raise the interval"`,
		Setup: func(fs *flag.FlagSet) Runner {
			var message string
			fs.StringVar(&message, "message", "", "change note of the new version")
			return clientRunner(1, 1, "the config (id, alias or name)", func(ctx context.Context, a *App, c *client.Client, args []string) error {
				cfg, err := resolveConfig(ctx, c, args[0])
				if err != nil {
					return err
				}
				dir, err := os.MkdirTemp("", "tcctl-edit-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				path := filepath.Join(dir, safeFileName(cfg.Name)+".toml")
				content, header := cfg.TOML, ""
				for {
					if err := os.WriteFile(path, []byte(header+content), 0o600); err != nil {
						return err
					}
					if err := a.runEditor(ctx, path); err != nil {
						return err
					}
					b, err := os.ReadFile(path)
					if err != nil {
						return err
					}
					edited := stripHeader(string(b))
					if strings.TrimSpace(edited) == "" {
						return &exitError{ExitFailure, "edit cancelled: the file is empty"}
					}
					if edited == cfg.TOML {
						fmt.Fprintln(a.Stdout, "No change.")
						return nil
					}
					rep := telegraf.Validate(edited)
					if rep.Valid() {
						content = edited
						break
					}
					if header != "" && edited == content {
						return &exitError{ExitFailure, "edit cancelled: the TOML still has errors; nothing saved"}
					}
					content = edited
					lines := []string{editorHeader + "this TOML has errors and was not saved; fix them, or save it unchanged to cancel"}
					for _, p := range rep.Errors {
						lines = append(lines, fmt.Sprintf("%sline %d, column %d: %s", editorHeader, p.Line+len(rep.Errors)+1, p.Column, oneLine(p.Message, 200)))
					}
					header = strings.Join(lines, "\n") + "\n"
					for _, p := range rep.Errors {
						fmt.Fprintf(a.Stderr, "%s:%d:%d: error: %s\n", cfg.Name, p.Line, p.Column, p.Message)
					}
				}
				saved, err := c.UpdateConfig(ctx, cfg.ID, client.ConfigRequest{TOML: &content, ChangeNote: message})
				if err != nil {
					return err
				}
				a.printWarnings(cfg.Name, saved.Warnings)
				fmt.Fprintf(a.Stdout, "Config %q saved as version %d.\n", saved.Name, saved.CurrentVersion)
				return nil
			})
		},
	}
}

// stripHeader removes the error lines tcctl put at the top of an edited file.
func stripHeader(s string) string {
	for strings.HasPrefix(s, editorHeader) {
		_, rest, ok := strings.Cut(s, "\n")
		if !ok {
			return ""
		}
		s = rest
	}
	return s
}

// runEditor runs $VISUAL or $EDITOR (a command line, run by the shell) on path.
func (a *App) runEditor(ctx context.Context, path string) error {
	ed := a.Getenv("VISUAL")
	if ed == "" {
		ed = a.Getenv("EDITOR")
	}
	if ed == "" {
		ed = "vi"
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", ed+` "$1"`, "sh", path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, a.Stderr, a.Stderr
	if f, ok := a.Stdin.(*os.File); ok {
		cmd.Stdin = f
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("editor %q: %w; nothing saved", ed, err)
	}
	return nil
}

// safeFileName turns a name into a file name of [a-z0-9._-].
func safeFileName(name string) string {
	var b strings.Builder
	dashPending := false
	for _, r := range strings.ToLower(name) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			dashPending = b.Len() > 0
			continue
		}
		if dashPending {
			b.WriteByte('-')
			dashPending = false
		}
		b.WriteRune(r)
	}
	s := strings.Trim(b.String(), ".-")
	if s == "" {
		s = "config"
	}
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

func configsDelete() *Command {
	return &Command{
		Name: "delete", Aliases: []string{"rm"}, Short: "Delete configs", Args: "REF...",
		Long: `Delete configs with their versions. The controller refuses (409) while agents that
still report use one.`,
		Examples: `tcctl configs delete old-web
tcctl configs delete 0b7c... 9f1e...`,
		Setup: func(fs *flag.FlagSet) Runner {
			return clientRunner(1, -1, "the config (id, alias or name)", func(ctx context.Context, a *App, c *client.Client, args []string) error {
				for _, ref := range args {
					cfg, err := resolveConfig(ctx, c, ref)
					if err != nil {
						return err
					}
					if err := c.DeleteConfig(ctx, cfg.ID); err != nil {
						return fmt.Errorf("delete config %q: %w", cfg.Name, err)
					}
					fmt.Fprintf(a.Stdout, "Config %q deleted.\n", cfg.Name)
				}
				return nil
			})
		},
	}
}

func configsValidate() *Command {
	return &Command{
		Name: "validate", Short: "Validate local TOML files the way the controller does (no controller needed)", Args: "FILE...",
		Long: `Validate TOML files with the controller's own validation, compiled into tcctl: TOML
syntax, what Telegraf refuses to load, unknown plugins and options. Problems are
printed as FILE:LINE:COLUMN: severity: message; the exit code is 1 when any file
has an error (warnings do not fail). No controller or token is needed, so it
suits a pull-request check.`,
		Examples: `tcctl configs validate web.toml
tcctl configs validate configs/*.toml --no-warnings`,
		Setup: func(fs *flag.FlagSet) Runner {
			var noWarnings bool
			fs.BoolVar(&noWarnings, "no-warnings", false, "print errors only")
			return func(ctx context.Context, a *App, args []string) error {
				if err := wantArgs(args, 1, -1, "a FILE to validate"); err != nil {
					return err
				}
				bad := 0
				for _, f := range args {
					src, err := a.readFile(f)
					if err != nil {
						return err
					}
					if !a.checkTOML(f, src, !noWarnings) {
						bad++
					}
				}
				if bad > 0 {
					return &exitError{ExitFailure, fmt.Sprintf("%d of %d files have errors", bad, len(args))}
				}
				if a.output == "table" {
					fmt.Fprintf(a.Stdout, "%d files valid.\n", len(args))
				}
				return nil
			}
		},
	}
}

func configsVersions() *Command {
	return &Command{
		Name: "versions", Short: "List a config's versions, newest first", Args: "REF",
		Examples: `tcctl configs versions web-base`,
		Setup: func(fs *flag.FlagSet) Runner {
			return clientRunner(1, 1, "the config (id, alias or name)", func(ctx context.Context, a *App, c *client.Client, args []string) error {
				cfg, err := resolveConfig(ctx, c, args[0])
				if err != nil {
					return err
				}
				vs, err := c.ConfigVersions(ctx, cfg.ID)
				if err != nil {
					return err
				}
				return a.print(client.List[client.ConfigVersion]{Items: vs, Total: int64(len(vs))}, func(w *tabwriter.Writer) {
					fmt.Fprintln(w, "VERSION\tCURRENT\tAUTHOR\tCREATED\tNOTE")
					for _, v := range vs {
						cur := ""
						if v.Current {
							cur = "*"
						}
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", v.Version, cur, dash(v.AuthorName), when(&v.CreatedAt), dash(oneLine(v.Note, 60)))
					}
				})
			})
		},
	}
}

func configsDiff() *Command {
	return &Command{
		Name: "diff", Short: "Diff two versions of a config, or a local file against the current TOML", Args: "REF [FROM [TO]] | REF --file FILE",
		Long: `Print a unified diff. With two versions, FROM against TO; with one, that version
against the current one; with none, the previous version against the current one.
With --file, the current TOML against a local file. The exit code is 0 either way.`,
		Examples: `tcctl configs diff web-base
tcctl configs diff web-base 3 5
tcctl configs diff web-base --file web.toml`,
		Setup: func(fs *flag.FlagSet) Runner {
			var file string
			fs.StringVar(&file, "file", "", "compare the current TOML with this local file")
			return func(ctx context.Context, a *App, args []string) error {
				if err := wantArgs(args, 1, 3, "the config (id, alias or name)"); err != nil {
					return err
				}
				nums := make([]int, 0, 2)
				for _, s := range args[1:] {
					n, err := strconv.Atoi(s)
					if err != nil || n < 1 {
						return usagef("a version is a number from 1, not %q", s)
					}
					nums = append(nums, n)
				}
				if file != "" && len(nums) > 0 {
					return usagef("give versions or --file, not both")
				}
				c, err := a.Client()
				if err != nil {
					return err
				}
				cfg, err := resolveConfig(ctx, c, args[0])
				if err != nil {
					return err
				}
				if file != "" {
					src, err := a.readFile(file)
					if err != nil {
						return err
					}
					d := textdiff.Unified(fmt.Sprintf("%s (version %d)", cfg.Name, cfg.CurrentVersion), file, cfg.TOML, src, 3)
					_, err = io.WriteString(a.Stdout, d)
					return err
				}
				from, to := cfg.CurrentVersion-1, cfg.CurrentVersion
				switch len(nums) {
				case 1:
					from = nums[0]
				case 2:
					from, to = nums[0], nums[1]
				}
				if from < 1 {
					return usagef("config %q has one version only", cfg.Name)
				}
				d, err := c.DiffConfigVersions(ctx, cfg.ID, from, to)
				if err != nil {
					return err
				}
				return a.print(d, func(w *tabwriter.Writer) {
					if d.Identical {
						fmt.Fprintf(a.Stdout, "Versions %d and %d are identical.\n", from, to)
						return
					}
					io.WriteString(a.Stdout, d.Diff)
				})
			}
		},
	}
}

func configsRollback() *Command {
	return &Command{
		Name: "rollback", Short: "Record a new version holding an older version's TOML", Args: "REF VERSION [--message M]",
		Examples: `tcctl configs rollback web-base 3 --message "the nginx input broke"`,
		Setup: func(fs *flag.FlagSet) Runner {
			var message string
			fs.StringVar(&message, "message", "", "note appended to 'Rollback to version N'")
			return func(ctx context.Context, a *App, args []string) error {
				if err := wantArgs(args, 2, 2, "the config and the VERSION"); err != nil {
					return err
				}
				n, err := strconv.Atoi(args[1])
				if err != nil || n < 1 {
					return usagef("a version is a number from 1, not %q", args[1])
				}
				c, err := a.Client()
				if err != nil {
					return err
				}
				cfg, err := resolveConfig(ctx, c, args[0])
				if err != nil {
					return err
				}
				saved, err := c.RollbackConfig(ctx, cfg.ID, n, message)
				if err != nil {
					return err
				}
				return a.print(saved, func(w *tabwriter.Writer) {
					fmt.Fprintf(w, "Config %q rolled back to version %d: now version %d.\n", saved.Name, n, saved.CurrentVersion)
				})
			}
		},
	}
}

// parseParams reads repeated -p name=value flags into a query.
func parseParams(ps []string) (url.Values, error) {
	q := url.Values{}
	for _, p := range ps {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usagef("a parameter is name=value, not %q", p)
		}
		q.Add(k, v)
	}
	return q, nil
}

func configsRender() *Command {
	return &Command{
		Name: "render", Short: "Print a config's TOML as an agent gets it, with parameters filled", Args: "REF [-p name=value]...",
		Examples: `tcctl configs render web-base -p agent_id=web-1 -p region=eu
tcctl configs render web-base -p agent_id=web-1 | telegraf --config - --test`,
		Setup: func(fs *flag.FlagSet) Runner {
			var params stringList
			fs.Var(&params, "p", "parameter name=value, repeatable")
			return func(ctx context.Context, a *App, args []string) error {
				if err := wantArgs(args, 1, 1, "the config (id, alias or name)"); err != nil {
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
				cfg, err := resolveConfig(ctx, c, args[0])
				if err != nil {
					return err
				}
				out, err := c.RenderConfig(ctx, cfg.ID, q)
				if err != nil {
					return err
				}
				_, err = io.Copy(a.Stdout, bytes.NewReader([]byte(out)))
				return err
			}
		},
	}
}
