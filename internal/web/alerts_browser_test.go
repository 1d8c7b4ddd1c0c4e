package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestBrowserAlertRuleFires creates an alert rule through its form in
// Chromium, lets the engine evaluate it against failing agents, and finds
// the firing alerts on the Alerts page with a link to the filtered agents;
// then mutes an agent through the mute form.
func TestBrowserAlertRuleFires(t *testing.T) {
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"}, apptest.WithArgs("--alert-interval", "10m"))
	ctx := context.Background()
	b := newBrowser(t, inst.URL)
	ch := &tc.NotificationChannel{Name: "ops-hook", Kind: tc.ChannelWebhook, Enabled: true, Webhook: &tc.WebhookSettings{URL: "https://hooks.example.test/ops"}}
	if err := inst.Store.CreateNotificationChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	var beats []store.HeartbeatWrite
	for _, id := range []string{"web-1", "web-2", "web-3"} {
		beats = append(beats, store.HeartbeatWrite{AgentBeat: &tc.AgentBeat{ID: id, Hostname: id, Status: tc.AgentFail,
			FirstSeen: inst.Clock.Now(), LastSeen: inst.Clock.Now()}})
	}
	if err := inst.Store.WriteHeartbeats(ctx, beats); err != nil {
		t.Fatal(err)
	}
	const password = "Correct-Horse-9"
	inst.MustOwner(t)
	mgr := inst.MustPasswordUser(t, tc.RoleManager, password)
	b.open(t, "/login")
	b.do(t, b.fill("#f-username", mgr.Username), b.fill("#f-password", password), click(`form button[type=submit]`))
	b.waitURL(t, "/configs")

	b.open(t, "/alert-rules")
	b.waitText(t, "#no-alert-rules", "No alert rules")
	b.do(t, click(`[data-open="alert-rule-new"]`))
	b.do(t, b.fill("#ar-name-new", "Web failing"), chromedp.SetValue(chromedp.CSS("#ar-event-new"), "fail"),
		b.fill("#ar-for-new", "0"), click(`#alert-rule-new input[name="channelIds"]`), click(`#alert-rule-new details summary`),
		b.fill("#ar-gw-new", "0"), click(`#alert-rule-new button[type=submit]`))
	b.waitText(t, "#alert-rules", "Web failing")
	if got := b.text(t, "#alert-rules tbody tr"); !strings.Contains(got, "ops-hook") || !strings.Contains(got, "Fail") {
		t.Errorf("rule row: %q", got)
	}
	rules, err := inst.Store.AlertRules(ctx)
	if err != nil || len(rules) != 1 || rules[0].ForSeconds != 0 || rules[0].GroupWaitSeconds != 0 || len(rules[0].ChannelIDs) != 1 {
		t.Fatalf("rule stored as %+v, %v", rules, err)
	}

	if err := inst.Alerts.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	b.open(t, "/alerts")
	b.waitText(t, "#alert-groups", "Web failing")
	if got := eval[string](t, b, `document.querySelector("#alert-groups a").getAttribute("href")`); got != "/agents?status=fail" {
		t.Errorf("group link = %q", got)
	}
	if n := b.count(t, "#active-alerts tr.alert-firing"); n != 3 {
		t.Errorf("%d firing rows, want 3", n)
	}
	b.shot(t, "alerts-firing")

	b.do(t, b.fill("#mute-target", "web-2"), b.fill("#mute-reason", "patching"), click(`#mute-form button[type=submit]`))
	b.waitText(t, "#mutes", "patching")
	if ms, _ := inst.Store.ActiveMutes(ctx, inst.Clock.Now()); len(ms) != 1 || ms[0].CreatedByName != mgr.Username {
		t.Errorf("mutes: %+v", ms)
	}
	b.waitJS(t, `document.querySelectorAll("#active-alerts .badge").length > 3`) // web-2's "muted"
}
