package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

func mustChannel(tb testing.TB, s *store.Store, name string) string {
	tb.Helper()
	c := &tc.NotificationChannel{Name: name, Kind: tc.ChannelWebhook, Enabled: true, Webhook: &tc.WebhookSettings{URL: "https://hooks.example.test/" + name}}
	if err := s.CreateNotificationChannel(context.Background(), c); err != nil {
		tb.Fatal(err)
	}
	return c.ID
}

// TestAlertRulesStore: rules keep their scope and channels in order,
// refuse references to nothing with the field named, lose a deleted
// channel, and take their alerts and group with them when deleted.
func TestAlertRulesStore(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		clock := apptest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
		s := mustOpenClock(t, db, clock)
		lbl := &tc.Label{Name: "dc-a", Color: "#123456"}
		if err := s.CreateLabel(ctx, lbl); err != nil {
			t.Fatal(err)
		}
		c1, c2 := mustChannel(t, s, "one"), mustChannel(t, s, "two")
		r := tc.NewAlertRule()
		r.Name, r.Event, r.Scope.LabelIDs, r.ChannelIDs = "DC A silent", tc.AlertNotReporting, []string{lbl.ID}, []string{c2, c1}
		if err := s.CreateAlertRule(ctx, &r); err != nil {
			t.Fatal(err)
		}
		got, err := s.AlertRule(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.ChannelIDs, []string{c2, c1}) || !slices.Equal(got.Scope.LabelIDs, []string{lbl.ID}) || got.ForSeconds != 60 {
			t.Errorf("read back %+v", got)
		}
		for _, c := range []struct {
			field string
			edit  func(r *tc.AlertRule)
		}{
			{"scope.labelIds", func(r *tc.AlertRule) { r.Scope.LabelIDs = []string{"nope"} }},
			{"scope.configId", func(r *tc.AlertRule) { r.Scope.ConfigID = "nope" }},
			{"scope.configGroupId", func(r *tc.AlertRule) { r.Scope.ConfigGroupID = "nope" }},
			{"scope.reportingRuleId", func(r *tc.AlertRule) { r.Scope.ReportingRuleID = "nope" }},
			{"channelIds", func(r *tc.AlertRule) { r.ChannelIDs = []string{"nope"} }},
		} {
			bad := tc.NewAlertRule()
			bad.Name, bad.Event = "bad", tc.AlertFail
			c.edit(&bad)
			err := s.CreateAlertRule(ctx, &bad)
			if e, ok := err.(*tc.Error); !ok || e.Field != c.field {
				t.Errorf("%s: %v", c.field, err)
			}
		}
		dup := tc.NewAlertRule()
		dup.Name, dup.Event = "dc a SILENT", tc.AlertFail
		if err := s.CreateAlertRule(ctx, &dup); tc.ErrorCode(err) != tc.ECONFLICT {
			t.Errorf("duplicate name: %v", err)
		}
		if err := s.DeleteNotificationChannel(ctx, c2); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.AlertRule(ctx, r.ID); !slices.Equal(got.ChannelIDs, []string{c1}) {
			t.Errorf("after deleting a channel: %v", got.ChannelIDs)
		}

		// A step with one firing alert and a queued message; then the
		// rule goes, and its message is dropped.
		tr := tc.StepAlerts(got, nil, []tc.AlertObservation{{Kind: tc.SubjectAgent, ID: "a1", Name: "a1", Detail: tc.AgentNotReporting}}, clock.Now())
		got.ForSeconds = 0
		st := &store.AlertStep{Rule: got, Transitions: tr, Group: tc.AlertGroup{RuleID: r.ID, Since: clock.Now()}, GroupChanged: true,
			Outbox: []store.OutboxEntry{{ChannelID: c1, Status: "firing", Reason: tc.NotifyFirst, Subjects: 1, Payload: []byte(`{}`)}}}
		if err := s.ApplyAlertStep(ctx, nil, st); err != nil {
			t.Fatal(err)
		}
		if g, _ := s.AlertGroup(ctx, r.ID); !g.Since.Equal(clock.Now()) {
			t.Errorf("group %+v", g)
		}
		clock.Advance(time.Second)
		if _, err := s.UpdateAlertRule(ctx, r.ID, func(r *tc.AlertRule) error { r.Description = "x"; return nil }); err != nil {
			t.Fatal(err)
		}
		if err := s.ApplyAlertStep(ctx, nil, st); err != store.ErrAlertRuleChanged {
			t.Errorf("a step of a rule changed meanwhile: %v", err)
		}
		if err := s.DeleteAlertRule(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		if list, n, _ := s.Alerts(ctx, tc.AlertFilter{}); n != 0 || len(list) != 0 {
			t.Errorf("alerts of a deleted rule: %d", n)
		}
		if due, _ := s.DueNotifications(ctx, clock.Now(), 10); len(due) != 0 {
			t.Errorf("due after the rule was deleted: %+v", due)
		}
	})
}

// TestAlertSubjects reads what each event finds, within scopes.
func TestAlertSubjects(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		clock := apptest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
		s := mustOpenClock(t, db, clock)
		lbl := &tc.Label{Name: "web", Color: "#123456"}
		lbl2 := &tc.Label{Name: "db", Color: "#123456"}
		for _, l := range []*tc.Label{lbl, lbl2} {
			if err := s.CreateLabel(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		cfg := &tc.Config{Name: "base", TOML: "[agent]\n"}
		if err := s.CreateConfig(ctx, cfg, ""); err != nil {
			t.Fatal(err)
		}
		agents := []*tc.Agent{
			{ID: "w1", Hostname: "web-1", Status: tc.AgentFail, LabelIDs: []string{lbl.ID, lbl2.ID}, ConfigIDs: []string{cfg.ID}},
			{ID: "w2", Hostname: "web-2", Status: tc.AgentFail, LabelIDs: []string{lbl.ID}},
			{ID: "d1", Status: tc.AgentFail, LabelIDs: []string{lbl2.ID}},
			{ID: "ok", Status: tc.AgentOK, LabelIDs: []string{lbl.ID}},
		}
		if err := s.InsertAgents(ctx, agents); err != nil {
			t.Fatal(err)
		}
		ids := func(r tc.AlertRule) []string {
			t.Helper()
			obs, err := s.AlertSubjects(ctx, &r, clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, o := range obs {
				out = append(out, o.ID)
			}
			return out
		}
		r := tc.NewAlertRule()
		r.Event = tc.AlertFail
		if got := ids(r); !slices.Equal(got, []string{"d1", "w1", "w2"}) {
			t.Errorf("every failing agent: %v", got)
		}
		r.Scope.LabelIDs = []string{lbl.ID, lbl2.ID}
		if got := ids(r); !slices.Equal(got, []string{"w1"}) {
			t.Errorf("both labels: %v", got)
		}
		r.Scope = tc.AlertScope{ConfigID: cfg.ID}
		if got := ids(r); !slices.Equal(got, []string{"w1"}) {
			t.Errorf("by config: %v", got)
		}
		r.Scope = tc.AlertScope{ReportingRuleID: tc.DefaultReportingRuleID}
		if got := ids(r); len(got) != 3 {
			t.Errorf("by reporting rule: %v", got)
		}
		r.Event, r.Scope = tc.AlertWarn, tc.AlertScope{}
		if got := ids(r); len(got) != 0 {
			t.Errorf("warn: %v", got)
		}

		// Tokens expiring within 7 days (and one already expired).
		u := &tc.User{Username: "owner1", Email: "o@example.test", Role: tc.RoleOwner}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		for i, in := range []time.Duration{3 * 24 * time.Hour, 30 * 24 * time.Hour, -time.Hour} {
			exp := clock.Now().Add(in)
			secret := tc.NewTokenSecret()
			tok := &tc.Token{Description: []string{"soon", "later", "gone"}[i], UserID: u.ID, Permissions: []tc.Permission{"configs:read"},
				Hash: tc.HashSecret(secret), Last4: tc.TokenLast4(secret), ExpiresAt: &exp}
			if err := s.CreateToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		tr := tc.NewAlertRule()
		tr.Event, tr.TokenExpiryDays = tc.AlertTokenExpiry, 7
		obs, err := s.AlertSubjects(ctx, &tr, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range obs {
			names = append(names, o.Name)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"gone", "soon"}) {
			t.Errorf("expiring tokens: %v", names)
		}
	})
}

// TestOutboxOrderAndDeliveries: a channel gets a rule's messages in the
// order they were queued, a retry waits for its time, and every attempt
// is in the delivery log.
func TestOutboxOrderAndDeliveries(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		clock := apptest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
		s := mustOpenClock(t, db, clock)
		ch := mustChannel(t, s, "hook")
		r := tc.NewAlertRule()
		r.Name, r.Event, r.ChannelIDs = "r", tc.AlertFail, []string{ch}
		if err := s.CreateAlertRule(ctx, &r); err != nil {
			t.Fatal(err)
		}
		for _, status := range []string{"firing", "resolved"} {
			st := &store.AlertStep{Rule: &r, Outbox: []store.OutboxEntry{{ChannelID: ch, Status: status, Payload: []byte(`{"status":"` + status + `"}`)}}}
			if err := s.ApplyAlertStep(ctx, nil, st); err != nil {
				t.Fatal(err)
			}
		}
		due, err := s.DueNotifications(ctx, clock.Now(), 10)
		if err != nil || len(due) != 1 || due[0].Status != "firing" {
			t.Fatalf("due: %+v, %v", due, err)
		}
		first := due[0]
		if err := s.RecordDelivery(ctx, nil, first, store.Attempt{Outcome: tc.DeliveryRetry, Error: "HTTP 500", Next: clock.Now().Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if due, _ := s.DueNotifications(ctx, clock.Now(), 10); len(due) != 0 {
			t.Errorf("due while the first waits for its retry: %+v", due)
		}
		clock.Advance(time.Minute)
		due, _ = s.DueNotifications(ctx, clock.Now(), 10)
		if len(due) != 1 || due[0].ID != first.ID || due[0].Attempts != 1 || due[0].Key != first.Key {
			t.Fatalf("retry: %+v", due)
		}
		if err := s.RecordDelivery(ctx, nil, due[0], store.Attempt{Outcome: tc.DeliverySent}); err != nil {
			t.Fatal(err)
		}
		due, _ = s.DueNotifications(ctx, clock.Now(), 10)
		if len(due) != 1 || due[0].Status != "resolved" {
			t.Fatalf("after the firing went: %+v", due)
		}
		q, _ := s.QueuedNotifications(ctx)
		if q[ch] != 1 {
			t.Errorf("queued %v", q)
		}
		log, n, err := s.Deliveries(ctx, tc.DeliveryFilter{ChannelID: ch, Limit: 10})
		if err != nil || n != 2 || log[0].Outcome != tc.DeliverySent || log[1].Error != "HTTP 500" || log[1].RuleName != "r" || log[0].Attempt != 2 {
			t.Errorf("delivery log: %+v (%d), %v", log, n, err)
		}
		clock.Advance(31 * 24 * time.Hour)
		if n, err := s.PruneAlerts(ctx, clock.Now().Add(-30*24*time.Hour)); err != nil || n != 3 {
			t.Errorf("pruned %d, %v; want the sent row and two log lines", n, err)
		}
	})
}

// TestMutesStore: a mute names its target, is listed while in force, and
// is lifted (once).
func TestMutesStore(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		clock := apptest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
		s := mustOpenClock(t, db, clock)
		ctx := tc.NewContextWithCaller(context.Background(), &tc.Caller{User: &tc.User{ID: "u1", Username: "ann"}})
		if err := s.InsertAgents(ctx, []*tc.Agent{{ID: "a1", Hostname: "web-1"}}); err != nil {
			t.Fatal(err)
		}
		m := &tc.AlertMute{Kind: tc.MuteAgent, TargetID: "a1", Until: clock.Now().Add(time.Hour), Reason: "maintenance"}
		if err := s.CreateMute(ctx, m); err != nil {
			t.Fatal(err)
		}
		if m.TargetName != "web-1" || m.CreatedByName != "ann" {
			t.Errorf("mute %+v", m)
		}
		if err := s.CreateMute(ctx, &tc.AlertMute{Kind: tc.MuteLabel, TargetID: "nope", Until: clock.Now().Add(time.Hour)}); tc.ErrorCode(err) != tc.EINVALID {
			t.Errorf("a mute of no label: %v", err)
		}
		if ms, _ := s.ActiveMutes(ctx, clock.Now()); len(ms) != 1 {
			t.Errorf("active: %+v", ms)
		}
		if ms, _ := s.ActiveMutes(ctx, clock.Now().Add(time.Hour)); len(ms) != 0 {
			t.Errorf("active after its end: %+v", ms)
		}
		if err := s.DeleteMute(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteMute(ctx, m.ID); tc.ErrorCode(err) != tc.ENOTFOUND {
			t.Errorf("lifted twice: %v", err)
		}
	})
}
