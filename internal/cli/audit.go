package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/client"
)

type auditFlags struct{ f client.AuditFilter }

func (af *auditFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&af.f.From, "from", "", "entries at or after this time (RFC 3339)")
	fs.StringVar(&af.f.To, "to", "", "entries before this time (RFC 3339)")
	fs.StringVar(&af.f.Action, "action", "", "only this action, e.g. config.update")
	fs.StringVar(&af.f.ActorID, "actor", "", "only this actor's id (a user or a token)")
	fs.StringVar(&af.f.Outcome, "outcome", "", "Success, Failure or Denied")
	fs.StringVar(&af.f.TargetID, "target", "", "only entries about this id")
	fs.StringVar(&af.f.Q, "q", "", "free text over the entries")
}

func auditCommand() *Command {
	return &Command{
		Name:  "audit",
		Short: "The tamper-evident audit log: query, export, verify",
		Subs: []*Command{
			{
				Name: "query", Aliases: []string{"list", "ls"}, Short: "List audit entries, newest first", Args: "[filters] [--limit N]",
				Examples: `tcctl audit query --limit 20
tcctl audit query --action config.update --from 2026-01-01T00:00:00Z
tcctl audit query --outcome Denied -o json`,
				Setup: func(fs *flag.FlagSet) Runner {
					var af auditFlags
					var limit int
					af.register(fs)
					fs.IntVar(&limit, "limit", 50, "at most this many entries")
					return clientRunner(0, 0, "", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						es, err := c.Audit(ctx, af.f, limit)
						if err != nil {
							return err
						}
						return a.print(client.List[tc.AuditEntry]{Items: es, Total: int64(len(es))}, func(w *tabwriter.Writer) {
							fmt.Fprintln(w, "SEQ\tTIME\tACTION\tOUTCOME\tACTOR\tTARGET")
							for _, e := range es {
								target := e.TargetName
								if target == "" {
									target = e.TargetID
								}
								fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s %s\t%s\n", e.Seq, when(&e.Timestamp), e.Action, e.Outcome, e.ActorType, dash(e.ActorID), dash(oneLine(target, 40)))
							}
						})
					})
				},
			},
			{
				Name: "export", Short: "Export audit entries, oldest first, as JSON lines or CSV", Args: "[filters] [--format jsonl|csv] [--out FILE]",
				Examples: `tcctl audit export --format jsonl > audit.jsonl
tcctl audit export --format csv --from 2026-01-01T00:00:00Z --out january.csv`,
				Setup: func(fs *flag.FlagSet) Runner {
					var af auditFlags
					var format, out string
					af.register(fs)
					fs.StringVar(&format, "format", "jsonl", "jsonl or csv")
					fs.StringVar(&out, "out", "", "write to this file instead of standard output")
					return func(ctx context.Context, a *App, args []string) error {
						if err := wantArgs(args, 0, 0, ""); err != nil {
							return err
						}
						if format != "jsonl" && format != "csv" {
							return usagef("--format must be jsonl or csv")
						}
						c, err := a.Client()
						if err != nil {
							return err
						}
						w := a.Stdout
						if out != "" {
							f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
							if err != nil {
								return err
							}
							defer f.Close()
							w = f
						}
						return c.ExportAudit(ctx, af.f, format, w)
					}
				},
			},
			{
				Name: "verify", Short: "Recompute the audit log's hash chain (exit 1 when broken)", Args: "",
				Examples: `tcctl audit verify
tcctl audit verify -o json`,
				Setup: func(fs *flag.FlagSet) Runner {
					return clientRunner(0, 0, "", func(ctx context.Context, a *App, c *client.Client, args []string) error {
						v, err := c.VerifyAudit(ctx)
						if err != nil {
							return err
						}
						if err := a.print(v, func(w *tabwriter.Writer) {
							if v.OK {
								fmt.Fprintf(w, "The audit log verifies: %d entries, sequence %d to %d.\n", v.Entries, v.From, v.LastSeq)
							} else {
								fmt.Fprintf(w, "The audit log is BROKEN at entry %d: %s\n", v.BadSeq, v.Reason)
							}
						}); err != nil {
							return err
						}
						if !v.OK {
							return &exitError{ExitFailure, ""}
						}
						return nil
					})
				},
			},
		},
	}
}
