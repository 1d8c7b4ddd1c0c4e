package cli

import (
	"context"
	"errors"
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
	"github.com/telegrafcontroller/tc/internal/telegraf"
	"github.com/telegrafcontroller/tc/internal/textdiff"
)

// DefaultMarker is the label apply puts on what it creates; prune deletes
// only objects that carry it.
const DefaultMarker = "managed-by:tcctl"

// sidecar is NAME.yaml beside NAME.toml: what a config is besides its TOML.
type sidecar struct {
	// ID pins the file to one config (export writes it); renames then
	// change that config rather than make a new one.
	ID          string   `yaml:"id,omitempty" json:"id,omitempty"`
	Name        string   `yaml:"name" json:"name"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Labels      []string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Aliases     []string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
	Groups      []string `yaml:"groups,omitempty" json:"groups,omitempty"`
}

// localConfig is one config of the directory.
type localConfig struct {
	file    string // NAME.toml, relative to the directory
	sidecar string // NAME.yaml, or "" when there is none
	meta    sidecar
	toml    string
	remote  *tc.Config // what it is in the controller, nil when new
	matched string     // how remote was found: id, alias or name
	// id is the config's id, set when a plan step creates it.
	id *string
}

// loadDir reads every *.toml of dir with its sidecar and checks them all:
// it returns the valid configs and, for each problem, a FILE:LINE:COLUMN
// message.
func loadDir(dir string) ([]*localConfig, []string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", dir, err)
	}
	var out []*localConfig
	var problems []string
	tomls := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".toml") {
			tomls[strings.TrimSuffix(e.Name(), ".toml")] = true
		}
	}
	for _, e := range entries {
		n := e.Name()
		for _, ext := range []string{".yaml", ".yml"} {
			if stem, ok := strings.CutSuffix(n, ext); ok && !e.IsDir() && !tomls[stem] {
				problems = append(problems, fmt.Sprintf("%s:1:1: a sidecar without %s.toml", n, stem))
			}
		}
	}
	stems := make([]string, 0, len(tomls))
	for s := range tomls {
		stems = append(stems, s)
	}
	sort.Strings(stems)
	names, aliases, ids := map[string]string{}, map[string]string{}, map[string]string{}
	for _, stem := range stems {
		lc := &localConfig{file: stem + ".toml", meta: sidecar{Name: stem}}
		b, err := os.ReadFile(filepath.Join(dir, lc.file))
		if err != nil {
			return nil, nil, err
		}
		lc.toml = string(b)
		bad := len(problems)
		for _, ext := range []string{".yaml", ".yml"} {
			sb, err := os.ReadFile(filepath.Join(dir, stem+ext))
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			if lc.sidecar != "" {
				problems = append(problems, fmt.Sprintf("%s:1:1: %s has two sidecars", stem+ext, lc.file))
				continue
			}
			lc.sidecar = stem + ext
			lc.meta = sidecar{}
			if err := yaml.UnmarshalWithOptions(sb, &lc.meta, yaml.DisallowUnknownField()); err != nil {
				problems = append(problems, yamlProblem(lc.sidecar, err))
			}
			if lc.meta.Name == "" {
				lc.meta.Name = stem
			}
		}
		at := lc.sidecar
		if at == "" {
			at = lc.file
		}
		if strings.TrimSpace(lc.toml) == "" {
			problems = append(problems, fmt.Sprintf("%s:1:1: the TOML is empty", lc.file))
		}
		rep := telegraf.Validate(lc.toml)
		for _, p := range rep.Errors {
			problems = append(problems, fmt.Sprintf("%s:%d:%d: %s", lc.file, p.Line, p.Column, p.Message))
		}
		if name, err := tc.ValidateConfigName(lc.meta.Name); err != nil {
			problems = append(problems, fmt.Sprintf("%s:1:1: %s", at, tc.ErrorMessage(err)))
		} else {
			lc.meta.Name = name
			if other := names[strings.ToLower(name)]; other != "" {
				problems = append(problems, fmt.Sprintf("%s:1:1: the name %q is also %s's", at, name, other))
			}
			names[strings.ToLower(name)] = lc.file
		}
		if len(lc.meta.Description) > tc.MaxConfigDescriptionLen {
			problems = append(problems, fmt.Sprintf("%s:1:1: the description is longer than %d characters", at, tc.MaxConfigDescriptionLen))
		}
		for _, al := range lc.meta.Aliases {
			if err := tc.ValidateAlias(al); err != nil {
				problems = append(problems, fmt.Sprintf("%s:1:1: alias %q: %s", at, al, tc.ErrorMessage(err)))
			}
			if other := aliases[al]; other != "" {
				problems = append(problems, fmt.Sprintf("%s:1:1: the alias %q is also %s's", at, al, other))
			}
			aliases[al] = lc.file
		}
		if lc.meta.ID != "" {
			if other := ids[lc.meta.ID]; other != "" {
				problems = append(problems, fmt.Sprintf("%s:1:1: the id %s is also %s's", at, lc.meta.ID, other))
			}
			ids[lc.meta.ID] = lc.file
		}
		for _, l := range lc.meta.Labels {
			if strings.TrimSpace(l) == "" {
				problems = append(problems, fmt.Sprintf("%s:1:1: an empty label name", at))
			}
		}
		if len(problems) == bad {
			out = append(out, lc)
		}
	}
	return out, problems, nil
}

// yamlProblem is a sidecar's YAML error at its line and column.
func yamlProblem(file string, err error) string {
	if ye, ok := errors.AsType[yaml.Error](err); ok && ye.GetToken() != nil {
		p := ye.GetToken().Position
		return fmt.Sprintf("%s:%d:%d: %s", file, p.Line, p.Column, ye.GetMessage())
	}
	return fmt.Sprintf("%s:1:1: %v", file, err)
}

// step is one write of a plan, run in phase order: labels, configs, alias
// removals, alias additions, groups, deletions.
type step struct {
	phase int
	what  string
	do    func(ctx context.Context) error
}

// change is one object's entry in the plan.
type change struct {
	Op      string   `json:"op"` // create, change, delete
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	File    string   `json:"file,omitempty"`
	Details []string `json:"details,omitempty"`
	Diff    string   `json:"diff,omitempty"`
	steps   []step
}

// plan is what apply would do.
type plan struct {
	Changes  []*change `json:"changes"`
	Create   int       `json:"create"`
	Change   int       `json:"change"`
	Delete   int       `json:"delete"`
	Kept     []string  `json:"kept,omitempty"` // managed objects absent from the directory, kept without --prune
	Invalid  []string  `json:"invalid,omitempty"`
	Applied  bool      `json:"applied"`
	Failures []string  `json:"failures,omitempty"`
}

func (p *plan) add(c *change) {
	p.Changes = append(p.Changes, c)
	switch c.Op {
	case "create":
		p.Create++
	case "change":
		p.Change++
	case "delete":
		p.Delete++
	}
}

// applyOptions are apply's flags.
type applyOptions struct {
	dir, marker, message string
	yes, prune, cont     bool
	adopt                bool
}

func applyCommand() *Command {
	return &Command{
		Name: "apply", Short: "Make the controller's configs match a directory (dry run unless --yes)", Args: "-f DIR [--yes] [--prune] [flags]",
		Long: `Make the controller's configs match a directory: configurations as code.

DIR holds NAME.toml files, each with an optional sidecar NAME.yaml:

  id: 0b7c...            # optional: pins the file to a config (tcctl export writes it)
  name: web base         # default: the file's name without .toml
  description: web servers
  labels: [prod, web]    # created when missing
  aliases: [web-base]    # the config's aliases, exactly
  groups: [web-fleet]    # config groups it is a member of (created when missing)

A file finds its config by id, else by one of its aliases, else by name; so a
rename in the sidecar changes the config rather than making a new one, as long
as it keeps its id or an alias. A config that apply creates gets the label
managed-by:tcctl (--marker); a config made in the UI is never changed by a file
that only shares its name (claim it with its id, as export writes, or --adopt),
and --prune deletes only configs and groups that carry the marker and that no
file names. Without --yes nothing is written: the plan is printed, each change
with its diff. Every file is checked first (TOML the way the controller checks
it, the sidecar's YAML and fields): one invalid file stops everything before any
write, naming FILE:LINE:COLUMN, unless --continue.`,
		Examples: `tcctl apply -f configs/                       # the plan, nothing written
tcctl apply -f configs/ --yes --message "$CI_COMMIT_TITLE"
tcctl apply -f configs/ --yes --prune         # also delete managed configs no file names
tcctl apply -f configs/ -o json               # the plan as JSON`,
		Setup: func(fs *flag.FlagSet) Runner {
			var o applyOptions
			fs.StringVar(&o.dir, "f", "", "the directory (required)")
			fs.BoolVar(&o.yes, "yes", false, "write the changes (default: dry run)")
			fs.BoolVar(&o.yes, "apply", false, "same as --yes")
			fs.BoolVar(&o.prune, "prune", false, "delete managed configs and groups that no file names")
			fs.BoolVar(&o.cont, "continue", false, "skip invalid files and failed writes instead of stopping (disables --prune when a file is invalid)")
			fs.BoolVar(&o.adopt, "adopt", false, "take over configs made elsewhere that a file names by name, and mark them managed")
			fs.StringVar(&o.marker, "marker", DefaultMarker, "the label that marks what apply manages")
			fs.StringVar(&o.message, "message", "applied with tcctl", "change note of the versions apply records")
			return func(ctx context.Context, a *App, args []string) error {
				if len(args) == 1 && o.dir == "" {
					o.dir = args[0]
				} else if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				if o.dir == "" {
					return usagef("-f DIR is required")
				}
				if strings.TrimSpace(o.marker) == "" {
					return usagef("--marker must not be empty")
				}
				return a.apply(ctx, o)
			}
		},
	}
}

func (a *App) apply(ctx context.Context, o applyOptions) error {
	local, problems, err := loadDir(o.dir)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(a.Stderr, "%s%c%s\n", filepath.Clean(o.dir), filepath.Separator, p)
	}
	if len(problems) > 0 && !o.cont {
		return &exitError{ExitFailure, fmt.Sprintf("%d problems in %s: nothing written (--continue skips invalid files)", len(problems), o.dir)}
	}
	if len(problems) > 0 && o.prune {
		fmt.Fprintln(a.Stderr, "tcctl: warning: some files are invalid, so --prune is off for this run")
		o.prune = false
	}
	c, err := a.Client()
	if err != nil {
		return err
	}
	p, err := buildPlan(ctx, c, local, o)
	if err != nil {
		return err
	}
	p.Invalid = problems
	if o.yes {
		for _, s := range p.steps() {
			if err := s.do(ctx); err != nil {
				msg := fmt.Sprintf("%s: %v", s.what, err)
				p.Failures = append(p.Failures, msg)
				fmt.Fprintf(a.Stderr, "tcctl: %s\n", msg)
				if !o.cont {
					break
				}
			}
		}
		p.Applied = true
	}
	err = a.print(p, func(w *tabwriter.Writer) { a.printPlan(p, o) })
	if err != nil {
		return err
	}
	if len(p.Failures) > 0 {
		return &exitError{ExitFailure, fmt.Sprintf("%d writes failed", len(p.Failures))}
	}
	if len(problems) > 0 {
		return &exitError{ExitFailure, fmt.Sprintf("%d invalid files were skipped", len(problems))}
	}
	return nil
}

// steps lists every write of the plan in phase order.
func (p *plan) steps() []step {
	var all []step
	for _, c := range p.Changes {
		all = append(all, c.steps...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].phase < all[j].phase })
	return all
}

func (a *App) printPlan(p *plan, o applyOptions) {
	w := a.Stdout
	sym := map[string]string{"create": "+", "change": "~", "delete": "-"}
	for _, c := range p.Changes {
		file := ""
		if c.File != "" {
			file = " (" + c.File + ")"
		}
		fmt.Fprintf(w, "%s %s %q%s\n", sym[c.Op], c.Kind, c.Name, file)
		for _, d := range c.Details {
			fmt.Fprintf(w, "    %s\n", d)
		}
		if c.Diff != "" {
			for _, l := range strings.SplitAfter(strings.TrimSuffix(c.Diff, "\n"), "\n") {
				fmt.Fprintf(w, "    %s", strings.TrimSuffix(l, "\n")+"\n")
			}
		}
	}
	for _, k := range p.Kept {
		fmt.Fprintf(w, "  %s: managed, in no file; kept (--prune deletes it)\n", k)
	}
	if len(p.Changes) == 0 {
		fmt.Fprintln(w, "No changes: the controller matches", o.dir+".")
		return
	}
	fmt.Fprintf(w, "Plan: %d to create, %d to change, %d to delete.\n", p.Create, p.Change, p.Delete)
	switch {
	case !p.Applied:
		fmt.Fprintln(w, "Dry run: nothing written. Run again with --yes to apply.")
	case len(p.Failures) > 0:
		fmt.Fprintf(w, "Applied with %d failures.\n", len(p.Failures))
	default:
		fmt.Fprintln(w, "Applied.")
	}
}

// remoteState is what the controller holds, as far as apply is concerned.
type remoteState struct {
	configs []*tc.Config
	byID    map[string]*tc.Config
	byName  map[string]*tc.Config // lower-cased
	labels  *labelIndex
	groups  []*tc.ConfigGroup
	marker  *tc.Label // nil until created
}

func loadRemote(ctx context.Context, c *client.Client, marker string) (*remoteState, error) {
	cs, _, err := c.Configs(ctx, client.ConfigFilter{WithTOML: true})
	if err != nil {
		return nil, fmt.Errorf("read configs: %w", err)
	}
	rs := &remoteState{configs: cs, byID: map[string]*tc.Config{}, byName: map[string]*tc.Config{}}
	for _, x := range cs {
		rs.byID[x.ID] = x
		rs.byName[strings.ToLower(x.Name)] = x
	}
	if rs.labels, err = loadLabels(ctx, c); err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	rs.marker = rs.labels.byName[strings.ToLower(marker)]
	if rs.groups, _, err = c.Groups(ctx, "", ""); err != nil {
		return nil, fmt.Errorf("read config groups: %w", err)
	}
	return rs, nil
}

func (rs *remoteState) managed(labelIDs []string) bool {
	return rs.marker != nil && slices.Contains(labelIDs, rs.marker.ID)
}

// buildPlan compares the directory with the controller.
func buildPlan(ctx context.Context, c *client.Client, local []*localConfig, o applyOptions) (*plan, error) {
	rs, err := loadRemote(ctx, c, o.marker)
	if err != nil {
		return nil, err
	}
	p := &plan{Changes: []*change{}}

	// Labels: every name a sidecar uses, and the marker, exist first.
	labelIDs := map[string]string{} // lower-cased name -> id, filled as labels are created
	for n, l := range rs.labels.byName {
		labelIDs[n] = l.ID
	}
	needLabel := func(name string) {
		key := strings.ToLower(name)
		if _, ok := labelIDs[key]; ok {
			return
		}
		labelIDs[key] = ""
		p.add(&change{Op: "create", Kind: "label", Name: name, steps: []step{{phase: 0, what: "create label " + name, do: func(ctx context.Context) error {
			color := defaultLabelColor
			l, err := c.CreateLabel(ctx, client.LabelRequest{Name: &name, Color: &color})
			if err != nil {
				return err
			}
			labelIDs[key] = l.ID
			return nil
		}}}})
	}
	idsOf := func(names []string) ([]string, error) {
		out := make([]string, 0, len(names))
		for _, n := range names {
			id := labelIDs[strings.ToLower(n)]
			if id == "" {
				return nil, fmt.Errorf("label %q was not created", n)
			}
			out = append(out, id)
		}
		sort.Strings(out)
		return out, nil
	}

	// Find each file's config: by id, else alias, else name.
	claimed := map[string]string{} // remote id -> file
	for _, lc := range local {
		if x := rs.byID[lc.meta.ID]; lc.meta.ID != "" && x != nil {
			lc.remote, lc.matched = x, "id"
		}
		for _, al := range lc.meta.Aliases {
			if lc.remote != nil {
				break
			}
			x, err := c.Config(ctx, al)
			if err == nil {
				lc.remote, lc.matched = rs.byID[x.ID], "alias"
			} else if !client.IsNotFound(err) {
				return nil, err
			}
		}
		if x := rs.byName[strings.ToLower(lc.meta.Name)]; lc.remote == nil && x != nil {
			if !rs.managed(x.LabelIDs) && !o.adopt {
				return nil, fmt.Errorf("%s: config %q exists and is not managed by tcctl; claim it with \"id: %s\" in %s (tcctl export writes it), or use --adopt",
					lc.file, x.Name, x.ID, sidecarName(lc))
			}
			lc.remote, lc.matched = x, "name"
		}
		if lc.remote != nil {
			if other := claimed[lc.remote.ID]; other != "" {
				return nil, fmt.Errorf("%s and %s both name config %q", other, lc.file, lc.remote.Name)
			}
			claimed[lc.remote.ID] = lc.file
		}
	}

	for _, lc := range local {
		for _, l := range lc.meta.Labels {
			needLabel(l)
		}
	}
	needLabel(o.marker)

	note := o.message
	for _, lc := range local {
		lc := lc
		wantLabels := dedupeFold(lc.meta.Labels)
		if lc.remote == nil || rs.managed(lc.remote.LabelIDs) || o.adopt {
			wantLabels = dedupeFold(append(wantLabels, o.marker))
		}
		wantAliases := dedupe(lc.meta.Aliases)
		id := new(string)
		lc.id = id
		if lc.remote == nil {
			ch := &change{Op: "create", Kind: "config", Name: lc.meta.Name, File: lc.file,
				Diff: textdiff.Unified("/dev/null", lc.file, "", lc.toml, 3)}
			ch.Details = labelDetails(nil, wantLabels)
			if len(wantAliases) > 0 {
				ch.Details = append(ch.Details, "aliases: +"+strings.Join(wantAliases, " +"))
			}
			ch.steps = append(ch.steps, step{phase: 1, what: "create config " + lc.meta.Name, do: func(ctx context.Context) error {
				ids, err := idsOf(wantLabels)
				if err != nil {
					return err
				}
				desc := lc.meta.Description
				saved, err := c.CreateConfig(ctx, client.ConfigRequest{Name: &lc.meta.Name, Description: &desc, TOML: &lc.toml, LabelIDs: &ids, ChangeNote: note})
				if err != nil {
					return err
				}
				*id = saved.ID
				return nil
			}})
			for _, al := range wantAliases {
				ch.steps = append(ch.steps, aliasStep(c, 3, id, al, true))
			}
			p.add(ch)
			lc.remote = &tc.Config{Name: lc.meta.Name}
			continue
		}
		*id = lc.remote.ID
		r := lc.remote
		ch := &change{Op: "change", Kind: "config", Name: lc.meta.Name, File: lc.file}
		var req client.ConfigRequest
		if r.Name != lc.meta.Name {
			ch.Details = append(ch.Details, fmt.Sprintf("name: %q -> %q", r.Name, lc.meta.Name))
			req.Name = &lc.meta.Name
		}
		if r.Description != lc.meta.Description {
			ch.Details = append(ch.Details, fmt.Sprintf("description: %q -> %q", oneLine(r.Description, 60), oneLine(lc.meta.Description, 60)))
			req.Description = &lc.meta.Description
		}
		haveLabels := rs.labels.names(r.LabelIDs)
		if !sameFold(haveLabels, wantLabels) {
			ch.Details = append(ch.Details, labelDetails(haveLabels, wantLabels)...)
		}
		if r.TOML != lc.toml {
			ch.Diff = textdiff.Unified(fmt.Sprintf("%s (version %d)", r.Name, r.CurrentVersion), lc.file, r.TOML, lc.toml, 3)
			req.TOML, req.ChangeNote = &lc.toml, note
		}
		labelsChanged := !sameFold(haveLabels, wantLabels)
		if req.Name != nil || req.Description != nil || req.TOML != nil || labelsChanged {
			ch.steps = append(ch.steps, step{phase: 1, what: "change config " + lc.meta.Name, do: func(ctx context.Context) error {
				if labelsChanged {
					ids, err := idsOf(wantLabels)
					if err != nil {
						return err
					}
					req.LabelIDs = &ids
				}
				_, err := c.UpdateConfig(ctx, *id, req)
				return err
			}})
		}
		have, err := c.Aliases(ctx, tc.AliasConfig, r.ID)
		if err != nil {
			return nil, err
		}
		haveAliases := make([]string, len(have))
		for i, al := range have {
			haveAliases[i] = al.Alias
		}
		var adds, dels []string
		for _, al := range wantAliases {
			if !slices.Contains(haveAliases, al) {
				adds = append(adds, al)
				ch.steps = append(ch.steps, aliasStep(c, 3, id, al, true))
			}
		}
		for _, al := range haveAliases {
			if !slices.Contains(wantAliases, al) {
				dels = append(dels, al)
				ch.steps = append(ch.steps, aliasStep(c, 2, id, al, false))
			}
		}
		if len(adds)+len(dels) > 0 {
			ch.Details = append(ch.Details, "aliases: "+plusMinus(adds, dels))
		}
		if len(ch.steps) > 0 {
			p.add(ch)
		}
	}

	// Deletions of managed configs no file names.
	for _, x := range rs.configs {
		if claimed[x.ID] != "" || !rs.managed(x.LabelIDs) {
			continue
		}
		if !o.prune {
			p.Kept = append(p.Kept, fmt.Sprintf("config %q", x.Name))
			continue
		}
		x := x
		p.add(&change{Op: "delete", Kind: "config", Name: x.Name, Details: []string{"managed by tcctl, in no file"},
			steps: []step{{phase: 5, what: "delete config " + x.Name, do: func(ctx context.Context) error { return c.DeleteConfig(ctx, x.ID) }}}})
	}

	planGroups(c, p, rs, local, o, idsOf)
	return p, nil
}

// planGroups adds the changes of config groups: members as the sidecars
// list them (a group's other members keep their place, new members come
// last in file order), groups created when missing, and with --prune
// managed groups no sidecar names deleted.
func planGroups(c *client.Client, p *plan, rs *remoteState, local []*localConfig, o applyOptions, idsOf func([]string) ([]string, error)) {
	inDir := map[string]*localConfig{} // remote config id -> file
	for _, lc := range local {
		if lc.remote != nil && lc.remote.ID != "" {
			inDir[lc.remote.ID] = lc
		}
	}
	byName := map[string]*tc.ConfigGroup{}
	for _, g := range rs.groups {
		byName[strings.ToLower(g.Name)] = g
	}
	var referenced []string
	seen := map[string]bool{}
	for _, lc := range local {
		for _, g := range lc.meta.Groups {
			if k := strings.ToLower(g); !seen[k] {
				seen[k] = true
				referenced = append(referenced, g)
			}
		}
	}
	lists := func(lc *localConfig, group string) bool {
		return slices.ContainsFunc(lc.meta.Groups, func(g string) bool { return strings.EqualFold(g, group) })
	}
	// memberRef is a member, known by id or, before its creation, by file.
	type memberRef struct {
		id string
		lc *localConfig
	}
	resolve := func(ms []memberRef) ([]string, error) {
		ids := make([]string, 0, len(ms))
		for _, m := range ms {
			if m.id != "" {
				ids = append(ids, m.id)
				continue
			}
			x := *m.lc.id
			if x == "" {
				return nil, fmt.Errorf("config %q was not created", m.lc.meta.Name)
			}
			ids = append(ids, x)
		}
		return ids, nil
	}
	nameOf := func(m memberRef, g *tc.ConfigGroup) string {
		if m.lc != nil {
			return m.lc.meta.Name
		}
		for _, x := range g.Members {
			if x.ID == m.id {
				return x.Name
			}
		}
		return m.id
	}
	for _, name := range referenced {
		g := byName[strings.ToLower(name)]
		if g == nil {
			var members []memberRef
			var names []string
			for _, lc := range local {
				if lists(lc, name) {
					members = append(members, memberRef{id: lc.remote.ID, lc: lc})
					names = append(names, lc.meta.Name)
				}
			}
			name := name
			p.add(&change{Op: "create", Kind: "config-group", Name: name, Details: []string{"members: +" + strings.Join(names, " +")},
				steps: []step{{phase: 4, what: "create config group " + name, do: func(ctx context.Context) error {
					ids, err := resolve(members)
					if err != nil {
						return err
					}
					labels, err := idsOf([]string{o.marker})
					if err != nil {
						return err
					}
					_, err = c.CreateGroup(ctx, client.GroupRequest{Name: &name, MemberIDs: &ids, LabelIDs: &labels})
					return err
				}}}})
		}
	}
	for _, g := range rs.groups {
		g := g
		var want []memberRef
		touched := seen[strings.ToLower(g.Name)]
		for _, m := range g.Members {
			lc := inDir[m.ID]
			if lc == nil || lists(lc, g.Name) {
				want = append(want, memberRef{id: m.ID, lc: lc})
			}
			touched = touched || lc != nil
		}
		if !touched {
			if rs.managed(g.LabelIDs) {
				if o.prune {
					p.add(&change{Op: "delete", Kind: "config-group", Name: g.Name, Details: []string{"managed by tcctl, named by no file"},
						steps: []step{{phase: 5, what: "delete config group " + g.Name, do: func(ctx context.Context) error { return c.DeleteGroup(ctx, g.ID) }}}})
				} else {
					p.Kept = append(p.Kept, fmt.Sprintf("config-group %q", g.Name))
				}
			}
			continue
		}
		for _, lc := range local {
			if lists(lc, g.Name) && !slices.ContainsFunc(g.Members, func(m tc.ConfigRef) bool { return lc.remote.ID != "" && m.ID == lc.remote.ID }) {
				want = append(want, memberRef{id: lc.remote.ID, lc: lc})
			}
		}
		var adds, dels []string
		for _, m := range want {
			if m.id == "" || !slices.ContainsFunc(g.Members, func(x tc.ConfigRef) bool { return x.ID == m.id }) {
				adds = append(adds, nameOf(m, g))
			}
		}
		for _, x := range g.Members {
			if !slices.ContainsFunc(want, func(m memberRef) bool { return m.id == x.ID }) {
				dels = append(dels, x.Name)
			}
		}
		if len(adds)+len(dels) == 0 {
			continue
		}
		p.add(&change{Op: "change", Kind: "config-group", Name: g.Name, Details: []string{"members: " + plusMinus(adds, dels)},
			steps: []step{{phase: 4, what: "change config group " + g.Name, do: func(ctx context.Context) error {
				ids, err := resolve(want)
				if err != nil {
					return err
				}
				_, err = c.UpdateGroup(ctx, g.ID, client.GroupRequest{MemberIDs: &ids})
				return err
			}}}})
	}
}

// aliasStep adds or removes an alias of the config whose id is *id when the
// step runs (a config apply creates has no id before).
func aliasStep(c *client.Client, phase int, id *string, alias string, add bool) step {
	if add {
		return step{phase: phase, what: "add alias " + alias, do: func(ctx context.Context) error {
			_, err := c.AddAlias(ctx, tc.AliasConfig, *id, alias, false)
			return err
		}}
	}
	return step{phase: phase, what: "remove alias " + alias, do: func(ctx context.Context) error {
		return c.DeleteAlias(ctx, tc.AliasConfig, *id, alias)
	}}
}

func sidecarName(lc *localConfig) string {
	if lc.sidecar != "" {
		return lc.sidecar
	}
	return strings.TrimSuffix(lc.file, ".toml") + ".yaml"
}

func labelDetails(have, want []string) []string {
	var adds, dels []string
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, w) }) {
			adds = append(adds, w)
		}
	}
	for _, h := range have {
		if !slices.ContainsFunc(want, func(w string) bool { return strings.EqualFold(h, w) }) {
			dels = append(dels, h)
		}
	}
	if len(adds)+len(dels) == 0 {
		return nil
	}
	return []string{"labels: " + plusMinus(adds, dels)}
}

func plusMinus(adds, dels []string) string {
	var parts []string
	for _, a := range adds {
		parts = append(parts, "+"+a)
	}
	for _, d := range dels {
		parts = append(parts, "-"+d)
	}
	return strings.Join(parts, " ")
}

func sameFold(a, b []string) bool {
	a, b = dedupeFold(a), dedupeFold(b)
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y string) bool { return strings.EqualFold(x, y) }) {
			return false
		}
	}
	return true
}

func dedupeFold(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.ContainsFunc(out, func(y string) bool { return strings.EqualFold(x, y) }) {
			out = append(out, x)
		}
	}
	return out
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
