package alerting_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/notify"
)

// fleet is a set of agents that beat with the status each has ("" for a
// silent one, which does not beat).
type fleet struct {
	t      *testing.T
	inst   *apptest.Instance
	status map[string]string
}

func newFleet(t *testing.T, inst *apptest.Instance) *fleet {
	return &fleet{t: t, inst: inst, status: map[string]string{}}
}

func (f *fleet) set(status string, ids ...string) {
	for _, id := range ids {
		f.status[id] = status
	}
}

// run moves the clock on by d in steps of at most a minute, the agents
// beating before each, and ticks (sweep, rules, delivery) after each.
func (f *fleet) run(d time.Duration) {
	f.t.Helper()
	for d > 0 {
		by := map[string][]string{}
		for id, st := range f.status {
			if st != "" {
				by[st] = append(by[st], id)
			}
		}
		for st, ids := range by {
			slices.Sort(ids)
			beat(f.t, f.inst, ids, st)
		}
		step := min(d, time.Minute)
		tick(f.t, f.inst, step)
		d -= step
	}
}

// until runs the fleet in steps of step until cond holds, for at most max.
func (f *fleet) until(step, max time.Duration, what string, cond func() bool) {
	f.t.Helper()
	for waited := time.Duration(0); !cond(); waited += step {
		if waited >= max {
			f.t.Fatalf("%s: not after %s", what, max)
		}
		f.run(step)
	}
}

// getJSON decodes GET u into v.
func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// mail is what Mailpit's API tells of one message.
type mail struct {
	Subject string
	Text    string
	To      []struct{ Address string }
}

// mails returns the messages Mailpit holds, newest first.
func mails(t *testing.T, mp *apptest.Mailpit) []mail {
	t.Helper()
	var list struct{ Messages []struct{ ID string } }
	getJSON(t, mp.URL+"/api/v1/messages", &list)
	out := make([]mail, len(list.Messages))
	for i, m := range list.Messages {
		getJSON(t, mp.URL+"/api/v1/message/"+m.ID, &out[i])
	}
	return out
}

// TestEmailThroughARule: a rule watching the agents labelled dc-a for
// not_reporting mails a real Mailpit. When the sweep marks them (and two
// agents outside the label), one message arrives after the for-duration
// and the group wait: the subject, the count and the first ten names, and
// the link to the agents page filtered as the rule is; when they come
// back, one resolved message; nothing after.
func TestEmailThroughARule(t *testing.T) {
	apptest.RequireMailpit(t)
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		mp := apptest.StartMailpit(t, apptest.MailpitOptions{})
		inst := start(t, db, apptest.NewDSN(t, db), apptest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)))
		ctx := context.Background()
		if _, err := inst.Store.UpdateSettings(ctx, func(s *tc.Settings) { s.PublicUIURL = "https://tc.example.test" }); err != nil {
			t.Fatal(err)
		}
		ch := &tc.NotificationChannel{Name: "ops mail", Kind: tc.ChannelEmail, Enabled: true, Email: &tc.EmailSettings{
			Host: "127.0.0.1", Port: mp.SMTPPort, Security: tc.EmailPlain, From: "Telegraf Controller <tc@example.com>",
			To: []string{"ops@example.com"}}}
		if err := inst.Store.CreateNotificationChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
		label := &tc.Label{Name: "dc-a", Color: "#3366cc"}
		if err := inst.Store.CreateLabel(ctx, label); err != nil {
			t.Fatal(err)
		}
		rule := mustRule(t, inst, func(r *tc.AlertRule) {
			r.Name, r.ChannelIDs, r.Scope.LabelIDs = "Datacenter A silent", []string{ch.ID}, []string{label.ID}
		})
		dcA, others := agentIDs(12), []string{"other-1", "other-2"}
		f := newFleet(t, inst)
		f.set(tc.AgentOK, append(dcA, others...)...)
		f.run(time.Minute)
		for _, id := range dcA {
			if err := inst.Store.UpdateAgent(ctx, id, tc.AgentUpdate{LabelIDs: &[]string{label.ID}}); err != nil {
				t.Fatal(err)
			}
		}
		f.set("", append(dcA, others...)...) // the link drops
		f.until(10*time.Second, 15*time.Minute, "the firing mail", func() bool { return len(mails(t, mp)) > 0 })
		f.run(10 * time.Minute)
		got := mails(t, mp)
		if len(got) != 1 {
			t.Fatalf("%d mails for one outage, want 1", len(got))
		}
		m := got[0]
		if m.Subject != "[FIRING] 12 agents not reporting (rule Datacenter A silent)" || len(m.To) != 1 || m.To[0].Address != "ops@example.com" {
			t.Errorf("mail: subject %q, to %v", m.Subject, m.To)
		}
		link := "https://tc.example.test/agents?status=not_reporting&labelId=" + url.QueryEscape(label.ID)
		for _, want := range []string{"Count: 12", "12 agents not reporting (rule Datacenter A silent)", "agent-000, agent-001",
			"agent-009 and 2 more.", link} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("body lacks %q:\n%s", want, m.Text)
			}
		}
		if strings.Contains(m.Text, "agent-010") || strings.Contains(m.Text, "other-") {
			t.Errorf("body names more than ten agents, or agents outside the rule's label:\n%s", m.Text)
		}
		if rule.AgentsLink() != strings.TrimPrefix(link, "https://tc.example.test") {
			t.Errorf("the rule's link is %s", rule.AgentsLink())
		}

		f.set(tc.AgentOK, append(dcA, others...)...) // the link is back
		f.until(10*time.Second, 10*time.Minute, "the resolved mail", func() bool { return len(mails(t, mp)) > 1 })
		f.run(time.Hour)
		got = mails(t, mp)
		if len(got) != 2 || got[0].Subject != "[RESOLVED] 12 agents not reporting (rule Datacenter A silent)" {
			t.Fatalf("after recovery: %d mails, newest %q; want one resolved", len(got), got[0].Subject)
		}
		if !strings.Contains(got[0].Text, "Resolved: 12 agents no longer not reporting") {
			t.Errorf("resolved body:\n%s", got[0].Text)
		}
	})
}

// amAlert is what Alertmanager's GET /api/v2/alerts tells of one alert.
type amAlert struct {
	Labels      map[string]string
	Annotations map[string]string
	EndsAt      time.Time
	Status      struct{ State string }
}

// TestAlertmanagerThroughARule: a rule's failing agents become alerts in a
// real Alertmanager with our labels, ending a repeat interval, a group
// interval and the grace after they were sent (so they outlive
// Alertmanager's resolve_timeout while the rule fires); one agent
// recovering while the others still fail resolves that one alone; the
// rest resolve when they come back.
//
// Alertmanager reads the real clock, so the fake one starts an hour
// behind it: resolved alerts end in Alertmanager's past, firing ones hours
// in its future.
func TestAlertmanagerThroughARule(t *testing.T) {
	am := apptest.StartAlertmanager(t)
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := start(t, db, apptest.NewDSN(t, db), apptest.NewClock(time.Now().Add(-time.Hour).Truncate(time.Millisecond)))
		ctx := context.Background()
		ch := &tc.NotificationChannel{Name: "am", Kind: tc.ChannelAlertmanager, Enabled: true,
			Alertmanager: &tc.AlertmanagerSettings{URL: am.URL}}
		if err := inst.Store.CreateNotificationChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
		rule := mustRule(t, inst, func(r *tc.AlertRule) {
			r.Name, r.Event, r.ChannelIDs, r.ForSeconds, r.GroupWaitSeconds, r.GroupIntervalSeconds = "Fleet failing", tc.AlertFail, []string{ch.ID}, 0, 0, 60
		})
		ours := func() map[string]amAlert {
			var all []amAlert
			getJSON(t, am.URL+"/api/v2/alerts?filter="+url.QueryEscape(`tc_rule_id="`+rule.ID+`"`), &all)
			out := map[string]amAlert{}
			for _, a := range all {
				out[a.Labels["agent_id"]] = a
			}
			return out
		}
		f := newFleet(t, inst)
		f.set(tc.AgentFail, "web-1", "web-2", "web-3")
		f.run(time.Second)
		sent := inst.Clock.Now()
		got := ours()
		if len(got) != 3 {
			t.Fatalf("alertmanager holds %d alerts of the rule, want 3: %+v", len(got), got)
		}
		a := got["web-2"]
		for k, want := range map[string]string{"alertname": "Fleet failing", "tc_rule_id": rule.ID, "tc_event": tc.AlertFail,
			"agent_id": "web-2", "agent": "web-2", "source": "telegraf-controller"} {
			if a.Labels[k] != want {
				t.Errorf("label %s = %q, want %q (labels %v)", k, a.Labels[k], want, a.Labels)
			}
		}
		if a.Status.State != "active" || a.Annotations["summary"] != "3 agents failing (rule Fleet failing)" || a.Annotations["tc_reason"] != tc.NotifyFirst {
			t.Errorf("alert: %+v", a)
		}
		if want := sent.Add(rule.Repeat() + rule.GroupInterval() + notify.AlertmanagerGrace); !a.EndsAt.Equal(want) {
			t.Errorf("endsAt = %s, want %s (sent + repeat + group interval + grace)", a.EndsAt, want)
		}

		f.set(tc.AgentOK, "web-2")
		f.run(time.Minute)
		apptest.Eventually(t, 10*time.Second, "web-2 leaves Alertmanager's active alerts", func() bool {
			_, still := ours()["web-2"]
			return !still
		})
		got = ours()
		if len(got) != 2 || got["web-1"].Status.State != "active" || got["web-3"].Status.State != "active" ||
			got["web-1"].Annotations["summary"] != "2 agents failing (rule Fleet failing)" {
			t.Fatalf("after web-2 recovered: %+v", got)
		}

		f.set(tc.AgentOK, "web-1", "web-3")
		f.run(time.Minute)
		apptest.Eventually(t, 10*time.Second, "every alert of the rule resolved", func() bool { return len(ours()) == 0 })
	})
}
