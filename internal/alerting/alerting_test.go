package alerting_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/notify"
	"github.com/telegrafcontroller/tc/internal/store"
)

// start runs a controller whose engine only runs when the test ticks it.
// Messages go through the real dispatcher and webhook sender to
// webhookReceivers (webhook_test.go).
func start(t testing.TB, db apptest.DB, dsn string, clock *apptest.Clock) *apptest.Instance {
	t.Helper()
	return apptest.MustStartOn(t, db, dsn, clock, apptest.WithArgs("--alert-interval", "10m",
		"--secret-key", "alerting-tests-secret-key-0123456789abcdef"))
}

func mustChannel(t testing.TB, inst *apptest.Instance, name string, recv *webhookReceiver) string {
	t.Helper()
	c := &tc.NotificationChannel{Name: name, Kind: tc.ChannelWebhook, Enabled: true, Webhook: &tc.WebhookSettings{URL: recv.URL + "/" + name}}
	if err := inst.Store.CreateNotificationChannel(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func mustRule(t testing.TB, inst *apptest.Instance, edit func(r *tc.AlertRule)) *tc.AlertRule {
	t.Helper()
	r := tc.NewAlertRule()
	r.Name, r.Event = "Fleet silent", tc.AlertNotReporting
	edit(&r)
	if err := inst.Store.CreateAlertRule(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// beat writes one heartbeat of each agent at the clock's time.
func beat(t *testing.T, inst *apptest.Instance, ids []string, status string) {
	t.Helper()
	var ws []store.HeartbeatWrite
	for _, id := range ids {
		ws = append(ws, store.HeartbeatWrite{AgentBeat: &tc.AgentBeat{ID: id, Hostname: id, Status: status,
			FirstSeen: inst.Clock.Now(), LastSeen: inst.Clock.Now()}})
	}
	if err := inst.Store.WriteHeartbeats(context.Background(), ws); err != nil {
		t.Fatal(err)
	}
}

// tick moves the clock on by d, sweeps the statuses, evaluates the rules
// and delivers what is due.
func tick(t *testing.T, inst *apptest.Instance, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	inst.Clock.Advance(d)
	if _, err := inst.Scheduler.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if err := inst.Alerts.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Deliverer.Tick(ctx); err != nil {
		t.Fatal(err)
	}
}

func agentIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("agent-%03d", i)
	}
	return out
}

// TestOutageOneGroupedMessage: one sweep turns 500 agents not_reporting;
// each channel gets one firing message naming 500, after the group wait,
// and one resolved message once they are back; the alerts' history holds
// 500 resolved alerts.
func TestOutageOneGroupedMessage(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := start(t, db, apptest.NewDSN(t, db), apptest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)))
		ctx := context.Background()
		recv := map[string]*webhookReceiver{}
		c1, c2 := "", ""
		for _, name := range []string{"ops", "noc"} {
			r := newWebhookReceiver(t)
			id := mustChannel(t, inst, name, r)
			recv[id] = r
			if c1 == "" {
				c1 = id
			} else {
				c2 = id
			}
		}
		mustRule(t, inst, func(r *tc.AlertRule) { r.ChannelIDs = []string{c1, c2} })
		if _, err := inst.Store.UpdateSettings(ctx, func(s *tc.Settings) { s.PublicUIURL = "https://tc.example.test" }); err != nil {
			t.Fatal(err)
		}
		ids := agentIDs(500)
		beat(t, inst, ids, tc.AgentOK)
		tick(t, inst, time.Minute)
		tick(t, inst, 3*time.Minute) // silent for 4 min > 180 s: one sweep marks all 500
		if sum, _ := inst.Store.AgentSummary(ctx); sum.NotReporting != 500 {
			t.Fatalf("not reporting: %d", sum.NotReporting)
		}
		// Pending for the 60 s for-duration, then firing; the group waits
		// 30 s more before its first message.
		for _, step := range []time.Duration{10 * time.Second, 50 * time.Second, 20 * time.Second} {
			tick(t, inst, step)
			if got := recv[c1].take(); len(got) != 0 {
				t.Fatalf("a message before the group wait ended: %+v", got[0].Summary)
			}
		}
		tick(t, inst, 10*time.Second)
		for _, ch := range []string{c1, c2} {
			got := recv[ch].take()
			if len(got) != 1 {
				t.Fatalf("channel %s got %d messages, want 1", ch, len(got))
			}
			m := got[0]
			if m.Status != notify.StatusFiring || m.Count != 500 || len(m.Subjects) != 500 || m.IdempotencyKey == "" ||
				m.Summary != "500 agents not reporting (rule Fleet silent)" ||
				m.Link != "https://tc.example.test/agents?status=not_reporting" {
				t.Errorf("firing message: status %s, count %d, %d subjects, summary %q, link %q", m.Status, m.Count, len(m.Subjects), m.Summary, m.Link)
			}
		}
		list, n, err := inst.Store.Alerts(ctx, tc.AlertFilter{State: tc.AlertFiring, Limit: 10})
		if err != nil || n != 500 || len(list) != 10 {
			t.Fatalf("firing alerts: %d, %v", n, err)
		}
		// Nothing more while unchanged (the repeat is 4 h away).
		tick(t, inst, 10*time.Minute)
		if got := recv[c1].take(); len(got) != 0 {
			t.Fatalf("unchanged group sent %d more", len(got))
		}
		// They come back: one resolved message, once the sweep restores
		// them and the group interval has passed since the first.
		beat(t, inst, ids, tc.AgentOK)
		tick(t, inst, 10*time.Second)
		for _, ch := range []string{c1, c2} {
			got := recv[ch].take()
			if len(got) != 1 || got[0].Status != notify.StatusResolved || got[0].Count != 500 || len(got[0].Subjects) != 500 {
				t.Fatalf("channel %s after recovery: %d messages %+v", ch, len(got), got)
			}
		}
		tick(t, inst, time.Hour)
		if got := recv[c1].take(); len(got) != 0 {
			t.Fatalf("after the resolved message: %d more", len(got))
		}
		if _, n, _ := inst.Store.Alerts(ctx, tc.AlertFilter{State: tc.AlertResolved, Limit: 1}); n != 500 {
			t.Errorf("history: %d resolved alerts, want 500", n)
		}
	})
}

// TestFlappingUnderForSendsNothing: agents failing for 40 s at a time
// under a 60 s for-duration never fire.
func TestFlappingUnderForSendsNothing(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := start(t, db, apptest.NewDSN(t, db), apptest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)))
		recv := newWebhookReceiver(t)
		ch := mustChannel(t, inst, "ops", recv)
		mustRule(t, inst, func(r *tc.AlertRule) { r.Event, r.ChannelIDs, r.GroupWaitSeconds = tc.AlertFail, []string{ch}, 0 })
		ids := agentIDs(20)
		for range 10 {
			beat(t, inst, ids, tc.AgentFail)
			tick(t, inst, 20*time.Second)
			tick(t, inst, 20*time.Second)
			beat(t, inst, ids, tc.AgentOK)
			tick(t, inst, 20*time.Second)
		}
		if got := recv.take(); len(got) != 0 {
			t.Fatalf("flapping sent %d messages: %s", len(got), got[0].Summary)
		}
		if _, n, _ := inst.Store.Alerts(context.Background(), tc.AlertFilter{State: tc.AlertResolved, Limit: 1}); n != 0 {
			t.Errorf("flapping left %d alerts in the history", n)
		}
		// Staying in fail past the for-duration fires once.
		beat(t, inst, ids, tc.AgentFail)
		for range 4 {
			tick(t, inst, 20*time.Second)
		}
		if got := recv.take(); len(got) != 1 || got[0].Count != 20 {
			t.Fatalf("steady failure: %d messages", len(got))
		}
	})
}

// TestMuteSuppressesAndExpires: a muted agent's alert fires but sends
// nothing, and the group neither resolves nor repeats while it holds; once
// the mute ends, the message goes.
func TestMuteSuppressesAndExpires(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := start(t, db, apptest.NewDSN(t, db), apptest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)))
		ctx := tc.NewContextWithCaller(context.Background(), &tc.Caller{User: &tc.User{ID: "u", Username: "ops"}})
		recv := newWebhookReceiver(t)
		ch := mustChannel(t, inst, "ops", recv)
		r := mustRule(t, inst, func(r *tc.AlertRule) {
			r.Event, r.ChannelIDs, r.ForSeconds, r.GroupWaitSeconds = tc.AlertFail, []string{ch}, 0, 0
		})
		beat(t, inst, []string{"web-1"}, tc.AgentOK)
		if err := inst.Store.CreateMute(ctx, &tc.AlertMute{Kind: tc.MuteAgent, TargetID: "web-1", Until: inst.Clock.Now().Add(time.Hour), Reason: "maintenance"}); err != nil {
			t.Fatal(err)
		}
		failing := func(d time.Duration) { // web-1 keeps failing, beating every minute
			for range int(d / time.Minute) {
				beat(t, inst, []string{"web-1"}, tc.AgentFail)
				tick(t, inst, time.Minute)
			}
		}
		failing(30 * time.Minute)
		if got := recv.take(); len(got) != 0 {
			t.Fatalf("muted agent sent %d messages", len(got))
		}
		list, _, _ := inst.Store.Alerts(ctx, tc.AlertFilter{State: tc.AlertFiring, Limit: 5})
		if len(list) != 1 || !list[0].Muted {
			t.Fatalf("muted alert: %+v", list)
		}
		failing(31 * time.Minute) // the mute ended
		got := recv.take()
		if len(got) != 1 || got[0].Status != notify.StatusFiring || got[0].Subjects[0].ID != "web-1" {
			t.Fatalf("after the mute: %+v", got)
		}
		// A rule mute holds it again: no resolved message while muted...
		if err := inst.Store.CreateMute(ctx, &tc.AlertMute{Kind: tc.MuteRule, TargetID: r.ID, Until: inst.Clock.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		failing(10 * time.Minute)
		beat(t, inst, []string{"web-1"}, tc.AgentOK)
		tick(t, inst, 10*time.Minute)
		if got := recv.take(); len(got) != 0 {
			t.Fatalf("muted rule sent %d messages", len(got))
		}
		// ...and once its mute ends, the resolved message goes.
		tick(t, inst, time.Hour)
		if got := recv.take(); len(got) != 1 || got[0].Status != notify.StatusResolved {
			t.Fatalf("after the rule's mute: %+v", got)
		}
	})
}

// TestRestartDeliversTheOutbox: messages queued while the receiver was
// down (the process stopped with them in the outbox) go out from a new
// controller on the same database, each once, under the key it was queued
// with.
func TestRestartDeliversTheOutbox(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		recv := newWebhookReceiver(t, http.StatusServiceUnavailable)
		dsn := apptest.NewDSN(t, db)
		clock := apptest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
		inst := start(t, db, dsn, clock)
		ch := mustChannel(t, inst, "ops", recv)
		mustRule(t, inst, func(r *tc.AlertRule) {
			r.Event, r.ChannelIDs, r.ForSeconds, r.GroupWaitSeconds = tc.AlertFail, []string{ch}, 0, 0
		})
		beat(t, inst, []string{"web-1", "web-2"}, tc.AgentFail)
		tick(t, inst, time.Second) // queued; the receiver answers 503
		q, _ := inst.Store.QueuedNotifications(context.Background())
		if q[ch] != 1 {
			t.Fatalf("queued before the restart: %v", q)
		}
		key := recv.requests()[0].key
		if err := inst.Stop(); err != nil {
			t.Fatal(err)
		}

		clock.Advance(time.Minute) // past the backoff
		inst2 := start(t, db, dsn, clock)
		apptest.Eventually(t, 10*time.Second, "the outbox delivered after the restart", func() bool {
			return len(recv.requests()) == 2
		})
		inst2.Deliverer.Tick(context.Background())
		got := recv.take()
		if len(got) != 1 || got[0].IdempotencyKey != key || got[0].Count != 2 || len(recv.requests()) != 2 {
			t.Fatalf("after the restart: %d messages, %d requests (key %q, want %q)", len(got), len(recv.requests()), got[0].IdempotencyKey, key)
		}
		log, n, _ := inst2.Store.Deliveries(context.Background(), tc.DeliveryFilter{ChannelID: ch, Limit: 10})
		if n != 2 || log[0].Outcome != tc.DeliverySent || log[1].Outcome != tc.DeliveryRetry || !strings.Contains(log[1].Error, "503") {
			t.Errorf("delivery log: %+v", log)
		}
	})
}

// subjectIDs lists the ids of a webhook message's subjects.
func subjectIDs(list []notify.WebhookSubject) string {
	var ids []string
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	return strings.Join(ids, ",")
}

// TestUpdateNamesTheRecovered: when some subjects of a firing group
// recover, the group's next message (an update with sendResolved, else the
// repeat) lists them in resolved, once; with sendResolved off, a group that
// clears says nothing, and its next episode's first message does not bring
// up the subjects of the last.
func TestUpdateNamesTheRecovered(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := start(t, db, apptest.NewDSN(t, db), apptest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)))
		failRecv, warnRecv := newWebhookReceiver(t), newWebhookReceiver(t)
		failCh, warnCh := mustChannel(t, inst, "fail", failRecv), mustChannel(t, inst, "warn", warnRecv)
		mustRule(t, inst, func(r *tc.AlertRule) {
			r.Name, r.Event, r.ChannelIDs, r.ForSeconds, r.GroupWaitSeconds, r.GroupIntervalSeconds = "Failing", tc.AlertFail, []string{failCh}, 0, 0, 60
			r.RepeatIntervalSeconds = 540 // its update at 12:01:01 repeats with the warn group's first, at 12:10:01
		})
		mustRule(t, inst, func(r *tc.AlertRule) {
			r.Name, r.Event, r.ChannelIDs, r.ForSeconds, r.GroupWaitSeconds, r.GroupIntervalSeconds = "Warning", tc.AlertWarn, []string{warnCh}, 0, 0, 60
			r.RepeatIntervalSeconds, r.SendResolved = 600, false
		})
		f := newFleet(t, inst)
		one := func(recv *webhookReceiver, what string) notify.WebhookPayload {
			t.Helper()
			got := recv.take()
			if len(got) != 1 {
				t.Fatalf("%s: %d messages, want 1", what, len(got))
			}
			return got[0]
		}
		f.set(tc.AgentFail, "f1", "f2", "f3")
		f.set(tc.AgentWarn, "w1", "w2")
		f.run(time.Second)
		if m := one(failRecv, "fail first"); subjectIDs(m.Subjects) != "f1,f2,f3" || len(m.Resolved) != 0 {
			t.Fatalf("fail first: subjects %s, resolved %s", subjectIDs(m.Subjects), subjectIDs(m.Resolved))
		}
		one(warnRecv, "warn first")

		f.set(tc.AgentOK, "f2", "w2")
		f.run(30 * time.Second)
		if got := failRecv.take(); len(got) != 0 {
			t.Fatalf("an update within the group interval: %+v", got)
		}
		f.run(30 * time.Second)
		m := one(failRecv, "fail update")
		if m.Status != notify.StatusFiring || m.Count != 2 || subjectIDs(m.Subjects) != "f1,f3" || subjectIDs(m.Resolved) != "f2" ||
			m.Resolved[0].Status != tc.AlertResolved || !strings.Contains(m.Text, "1 agent recovered since the last message: f2.") {
			t.Fatalf("fail update: count %d, subjects %s, resolved %s, text %q", m.Count, subjectIDs(m.Subjects), subjectIDs(m.Resolved), m.Text)
		}
		if got := warnRecv.take(); len(got) != 0 {
			t.Fatalf("without sendResolved a subject leaving sent %d messages", len(got))
		}
		// The repeat 10 min after the first names who left, once.
		f.run(9 * time.Minute)
		if m := one(warnRecv, "warn repeat"); m.Annotations["tc_reason"] != tc.NotifyRepeat || subjectIDs(m.Subjects) != "w1" || subjectIDs(m.Resolved) != "w2" {
			t.Fatalf("warn repeat: reason %s, subjects %s, resolved %s", m.Annotations["tc_reason"], subjectIDs(m.Subjects), subjectIDs(m.Resolved))
		}
		if m := one(failRecv, "fail repeat"); subjectIDs(m.Resolved) != "" {
			t.Errorf("fail repeat names f2 again: %s", subjectIDs(m.Resolved))
		}
		// The warn group clears silently; its next episode starts afresh.
		f.set(tc.AgentOK, "w1")
		f.run(2 * time.Minute)
		if got := warnRecv.take(); len(got) != 0 {
			t.Fatalf("without sendResolved the group's end sent %+v", got)
		}
		f.set(tc.AgentWarn, "w3")
		f.run(time.Second)
		if m := one(warnRecv, "warn second episode"); subjectIDs(m.Subjects) != "w3" || len(m.Resolved) != 0 {
			t.Errorf("second episode: subjects %s, resolved %s", subjectIDs(m.Subjects), subjectIDs(m.Resolved))
		}
	})
}
