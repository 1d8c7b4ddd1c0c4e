package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/client"
)

// agentFilterFlags registers every filter of the agent list.
type agentFilterFlags struct {
	search, status, config, rule, label, state, sortBy string
	version                                            int
	desc                                               bool
}

func (f *agentFilterFlags) register(fs *flag.FlagSet, sorting bool) {
	fs.StringVar(&f.search, "search", "", "agents whose id, hostname or IP holds this")
	fs.StringVar(&f.status, "status", "", "only this status (severity): "+strings.Join(tc.AgentStatuses, ", "))
	fs.StringVar(&f.status, "severity", "", "same as --status")
	fs.StringVar(&f.config, "config", "", "only agents running this config (id, alias or name)")
	fs.StringVar(&f.rule, "rule", "", "only agents under this reporting rule (id or name)")
	fs.StringVar(&f.label, "label", "", "only agents carrying this label (id or name)")
	fs.StringVar(&f.state, "config-state", "", "only agents whose config is current, pending, stale or unknown (of --config when given)")
	fs.IntVar(&f.version, "config-version", 0, "with --config: only agents served this version of it")
	if sorting {
		fs.StringVar(&f.sortBy, "sort", "name", "order: name, status, lastSeen, hostname or severity (problems first)")
		fs.BoolVar(&f.desc, "desc", false, "reverse the order")
	}
}

// filter resolves the names the flags hold into the API's filter.
func (f *agentFilterFlags) filter(ctx context.Context, c *client.Client) (client.AgentFilter, error) {
	out := client.AgentFilter{Search: f.search, Status: f.status, ConfigState: f.state, ConfigVersion: f.version, SortBy: f.sortBy, Desc: f.desc}
	if f.status != "" && !slices.Contains(tc.AgentStatuses, f.status) {
		return out, usagef("--status must be one of %s", strings.Join(tc.AgentStatuses, ", "))
	}
	if f.config != "" {
		cfg, err := resolveConfig(ctx, c, f.config)
		if err != nil {
			return out, err
		}
		out.ConfigID = cfg.ID
	}
	if f.label != "" {
		ids, err := labelIDs(ctx, c, []string{f.label})
		if err != nil {
			return out, err
		}
		out.LabelID = ids[0]
	}
	if f.rule != "" {
		rules, err := c.ReportingRules(ctx)
		if err != nil {
			return out, err
		}
		for _, r := range rules {
			if r.ID == f.rule || strings.EqualFold(r.Name, f.rule) {
				out.ReportingRuleID = r.ID
			}
		}
		if out.ReportingRuleID == "" {
			return out, notFoundf("no reporting rule with the id or name %q", f.rule)
		}
	}
	return out, nil
}

func (a *App) agentTable(w *tabwriter.Writer, list []*tc.Agent) {
	fmt.Fprintln(w, "ID\tHOSTNAME\tSTATUS\tSINCE\tLAST SEEN\tVERSION\tCONFIGS\tERRORS")
	for _, ag := range list {
		states := make([]string, 0, len(ag.ConfigStates))
		for _, s := range ag.ConfigStates {
			states = append(states, s.State)
		}
		cfgs := fmt.Sprint(len(ag.ConfigIDs))
		if len(states) > 0 {
			cfgs += " (" + strings.Join(dedupe(states), ",") + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", oneLine(ag.ID, 40), dash(oneLine(ag.Hostname, 30)), ag.Status, a.ago(ag.StatusSince),
			a.ago(&ag.LastSeen), dash(strings.TrimPrefix(ag.Version, "Telegraf ")), cfgs, ag.Stats.LastErrors)
	}
}

func agentsCommand() *Command {
	return &Command{
		Name: "agents", Aliases: []string{"agent"},
		Short: "Telegraf agents known from their heartbeats: list, get, watch, delete, bulk",
		Subs: []*Command{
			{
				Name: "list", Aliases: []string{"ls"}, Short: "List agents with any filter of the API", Args: "[filters] [--sort S] [--limit N]",
				Examples: `tcctl agents list --status fail
tcctl agents list --sort severity --limit 20
tcctl agents list --config web-base --config-state stale
tcctl agents list --label prod --rule "short interval" -o json`,
				Setup: func(fs *flag.FlagSet) Runner {
					var f agentFilterFlags
					var limit int
					f.register(fs, true)
					fs.IntVar(&limit, "limit", 0, "at most this many (0: all)")
					return clientRunner(0, 0, "", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						filter, err := f.filter(ctx, c)
						if err != nil {
							return err
						}
						list, total, err := c.AgentPage(ctx, filter, limit)
						if err != nil {
							return err
						}
						return a.print(client.List[*tc.Agent]{Items: list, Total: total}, func(w *tabwriter.Writer) { a.agentTable(w, list) })
					})
				},
			},
			{
				Name: "get", Aliases: []string{"show"}, Short: "Show an agent with its configs, rule, labels and recent logs", Args: "ID",
				Examples: `tcctl agents get web-1
tcctl agents get web-1 -o yaml`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(1, 1, "the agent's ID", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						ag, err := c.Agent(ctx, args[0])
						if err != nil {
							return err
						}
						return a.print(ag, func(w *tabwriter.Writer) {
							rule := "-"
							if ag.ReportingRule != nil {
								rule = ag.ReportingRule.Name
							}
							labels := make([]string, len(ag.Labels))
							for i, l := range ag.Labels {
								labels[i] = l.Name
							}
							fmt.Fprintf(w, "ID:\t%s\nHostname:\t%s\nIP:\t%s\nVersion:\t%s\nStatus:\t%s (since %s)\nLast seen:\t%s\nRule:\t%s\nLabels:\t%s\nMetrics:\t%d (errors %d, warnings %d)\n",
								ag.ID, dash(ag.Hostname), dash(ag.IP), dash(ag.Version), ag.Status, a.ago(ag.StatusSince), when(&ag.LastSeen), rule, joined(labels),
								ag.Stats.TotalMetrics, ag.Stats.TotalErrors, ag.Stats.TotalWarnings)
							for _, r := range ag.Runs {
								name := r.ConfigName
								if name == "" {
									name = r.GroupName
								}
								fmt.Fprintf(w, "Config:\t%s %s (%s)\n", r.Kind, name, dash(r.State))
							}
							for _, l := range ag.Logs {
								fmt.Fprintf(w, "Log:\t%s %s %s\n", l.Time, l.Level, oneLine(l.Message, 100))
							}
						})
					})
				},
			},
			agentsWatch(),
			{
				Name: "delete", Aliases: []string{"rm"}, Short: "Delete agent records (an agent that beats again comes back)", Args: "ID...",
				Examples: `tcctl agents delete web-1 web-2`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(1, -1, "the agent's ID", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						for _, id := range args {
							if err := c.DeleteAgent(ctx, id); err != nil {
								return fmt.Errorf("delete agent %q: %w", id, err)
							}
							fmt.Fprintf(a.Stdout, "Agent %q deleted.\n", id)
						}
						return nil
					})
				},
			},
			{
				Name: "bulk", Short: "One action on many agents, by id or by filter", Args: "delete|assign-rule|add-label|remove-label (ID... | filters) [--rule R] [--label L]",
				Long: `Apply one action to many agents: the ids given, or every agent the filters
select (the same filters as list; at least one is required, so that a typo does
not act on the whole fleet). --rule names the rule of assign-rule, --label the
label of add-label and remove-label. Exit code 1 when any agent failed.`,
				Examples: `tcctl agents bulk delete --status not_reporting
tcctl agents bulk add-label --label prod web-1 web-2
tcctl agents bulk assign-rule --rule "short interval" --config web-base`,
				Setup: func(fs *flag.FlagSet) Runner {
					var f agentFilterFlags
					f.register(fs, false)
					return func(ctx context.Context, a *App, args []string) error {
						if err := wantArgs(args, 1, -1, "the action: delete, assign-rule, add-label or remove-label"); err != nil {
							return err
						}
						action, ids := args[0], args[1:]
						b := client.AgentBulk{Action: action}
						c, err := a.Client()
						if err != nil {
							return err
						}
						switch action {
						case tc.AgentBulkDelete:
						case tc.AgentBulkAssignRule:
							if f.rule == "" {
								return usagef("assign-rule needs --rule")
							}
						case tc.AgentBulkAddLabel, tc.AgentBulkRemoveLabel:
							if f.label == "" {
								return usagef("%s needs --label", action)
							}
						default:
							return usagef("unknown action %q: delete, assign-rule, add-label or remove-label", action)
						}
						// --rule and --label name the action's rule and label, not filters.
						rule, label := f.rule, f.label
						f.rule, f.label = "", ""
						filter, err := f.filter(ctx, c)
						if err != nil {
							return err
						}
						if rule != "" {
							rf := agentFilterFlags{rule: rule}
							x, err := rf.filter(ctx, c)
							if err != nil {
								return err
							}
							b.ReportingRuleID = x.ReportingRuleID
						}
						if label != "" {
							lids, err := labelIDs(ctx, c, []string{label})
							if err != nil {
								return err
							}
							b.LabelID = lids[0]
						}
						filtered := filter != (client.AgentFilter{SortBy: filter.SortBy})
						switch {
						case len(ids) > 0 && filtered:
							return usagef("give agent ids or filters, not both")
						case len(ids) > 0:
							b.IDs = ids
						case filtered:
							b.Filter = &filter
						default:
							return usagef("name the agents: ids, or at least one filter")
						}
						res, err := c.BulkAgents(ctx, b)
						if err != nil {
							return err
						}
						if err := a.print(res, func(w *tabwriter.Writer) {
							for _, r := range res.Results {
								if !r.OK {
									fmt.Fprintf(w, "%s\tfailed: %s\n", r.ID, r.Message)
								}
							}
							fmt.Fprintf(w, "%s: %d succeeded, %d failed.\n", action, res.Succeeded, res.Failed)
						}); err != nil {
							return err
						}
						if res.Failed > 0 {
							return &exitError{ExitFailure, ""}
						}
						return nil
					}
				},
			},
		},
	}
}

func agentsWatch() *Command {
	return &Command{
		Name: "watch", Short: "A live table of agents, refreshed until Ctrl-C", Args: "[filters] [--interval D] [--count N]",
		Long: `Show the agent list and refresh it every --interval until interrupted (Ctrl-C),
or --count times. On a terminal the screen is redrawn; otherwise (or with -o
json, one JSON document a line) each refresh is appended.`,
		Examples: `tcctl agents watch --sort severity
tcctl agents watch --status fail --interval 5s
tcctl agents watch --count 1 -o json`,
		Setup: func(fs *flag.FlagSet) Runner {
			var f agentFilterFlags
			var limit, count int
			var interval time.Duration
			f.register(fs, true)
			fs.IntVar(&limit, "limit", 50, "at most this many rows")
			fs.IntVar(&count, "count", 0, "stop after this many refreshes (0: until interrupted)")
			fs.DurationVar(&interval, "interval", 2*time.Second, "time between refreshes")
			return func(ctx context.Context, a *App, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				if interval < 200*time.Millisecond {
					return usagef("--interval must be at least 200ms")
				}
				c, err := a.Client()
				if err != nil {
					return err
				}
				filter, err := f.filter(ctx, c)
				if err != nil {
					return err
				}
				redraw := a.output == "table" && isTerminal(a.Stdout)
				for n := 1; ; n++ {
					list, total, err := c.AgentPage(ctx, filter, limit)
					if err != nil {
						if ctx.Err() != nil {
							return nil
						}
						return err
					}
					sum, err := c.AgentSummary(ctx)
					if err != nil {
						return err
					}
					if redraw {
						fmt.Fprint(a.Stdout, "\x1b[H\x1b[2J")
					}
					doc := map[string]any{"at": a.Now().UTC(), "summary": sum, "items": list, "total": total}
					switch a.output {
					case "json":
						b, err := json.Marshal(doc)
						if err != nil {
							return err
						}
						fmt.Fprintf(a.Stdout, "%s\n", b)
					case "yaml":
						fmt.Fprintln(a.Stdout, "---")
						if err := a.print(doc, nil); err != nil {
							return err
						}
					default:
						fmt.Fprintf(a.Stdout, "%s  agents %d: ok %d, warn %d, fail %d, undefined %d, not reporting %d (showing %d of %d; every %s, Ctrl-C stops)\n\n",
							a.Now().Format("15:04:05"), sum.Total, sum.OK, sum.Warn, sum.Fail, sum.Undefined, sum.NotReporting, len(list), total, interval)
						w := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
						a.agentTable(w, list)
						w.Flush()
						if !redraw {
							fmt.Fprintln(a.Stdout)
						}
					}
					if count > 0 && n >= count {
						return nil
					}
					select {
					case <-ctx.Done():
						return nil
					case <-time.After(interval):
					}
				}
			}
		},
	}
}
