package cli

import (
	"context"
	"flag"
	"fmt"
	"github.com/telegrafcontroller/tc/internal/client"
	"strings"
	"text/tabwriter"

	"github.com/telegrafcontroller/tc"
)

// healthReport is what tcctl health found.
type healthReport struct {
	Live       bool             `json:"live"`
	Ready      bool             `json:"ready"`
	Fleet      *tc.AgentSummary `json:"fleet,omitempty"`
	Failing    int64            `json:"failing"`
	FailingPct float64          `json:"failingPercent"`
	OK         bool             `json:"ok"`
	Reasons    []string         `json:"reasons,omitempty"`
}

func healthCommand() *Command {
	return &Command{
		Name: "health", Short: "The controller's and the fleet's health, as a gate for cron or CI", Args: "[--max-failing N] [--max-failing-percent P] [--controller-only]",
		Long: `Check the controller (live and ready) and the fleet (agents by status). Failing
agents are those with status fail, and not_reporting unless
--not-reporting-fails=false. The exit code is 1 when the controller is not
ready, or failing agents exceed --max-failing N or --max-failing-percent P;
without either bound, any failing agent counts as healthy (report only).`,
		Examples: `tcctl health
tcctl health --max-failing 0                 # cron: alert on any failing agent
tcctl health --max-failing-percent 5 -o json # CI gate after a rollout
tcctl health --controller-only               # no token needed`,
		Setup: func(fs *flag.FlagSet) Runner {
			var maxFailing int
			var maxPct float64
			var controllerOnly, notReporting bool
			fs.IntVar(&maxFailing, "max-failing", -1, "fail when more agents than this are failing (-1: no bound)")
			fs.Float64Var(&maxPct, "max-failing-percent", -1, "fail when more than this percentage of agents are failing (-1: no bound)")
			fs.BoolVar(&controllerOnly, "controller-only", false, "check the controller only, not the fleet")
			fs.BoolVar(&notReporting, "not-reporting-fails", true, "count not_reporting agents as failing")
			return clientRunner(0, 0, "", func(ctx context.Context, a *App, c *client.Client, args []string) error {
				h, err := c.Health(ctx)
				if err != nil {
					return err
				}
				r := healthReport{Live: h.Live, Ready: h.Ready, OK: true}
				if !h.Ready {
					r.OK = false
					r.Reasons = append(r.Reasons, "the controller is not ready")
				}
				if !controllerOnly && h.Ready {
					sum, err := c.AgentSummary(ctx)
					if err != nil {
						return err
					}
					r.Fleet = sum
					r.Failing = sum.Fail
					if notReporting {
						r.Failing += sum.NotReporting
					}
					if sum.Total > 0 {
						r.FailingPct = float64(r.Failing) * 100 / float64(sum.Total)
					}
					if maxFailing >= 0 && r.Failing > int64(maxFailing) {
						r.OK = false
						r.Reasons = append(r.Reasons, fmt.Sprintf("%d agents failing, more than %d", r.Failing, maxFailing))
					}
					if maxPct >= 0 && r.FailingPct > maxPct {
						r.OK = false
						r.Reasons = append(r.Reasons, fmt.Sprintf("%.1f%% of agents failing, more than %g%%", r.FailingPct, maxPct))
					}
				}
				if err := a.print(r, func(w *tabwriter.Writer) {
					fmt.Fprintf(w, "Controller:\tlive %v, ready %v\n", r.Live, r.Ready)
					if s := r.Fleet; s != nil {
						fmt.Fprintf(w, "Agents:\t%d: ok %d, warn %d, fail %d, undefined %d, not reporting %d, stale config %d\n", s.Total, s.OK, s.Warn, s.Fail, s.Undefined, s.NotReporting, s.Stale)
						fmt.Fprintf(w, "Failing:\t%d (%.1f%%)\n", r.Failing, r.FailingPct)
					}
					if r.OK {
						fmt.Fprintln(w, "Health:\tOK")
					} else {
						fmt.Fprintf(w, "Health:\tFAILING: %s\n", strings.Join(r.Reasons, "; "))
					}
				}); err != nil {
					return err
				}
				if !r.OK {
					return &exitError{ExitFailure, ""}
				}
				return nil
			})
		},
	}
}
