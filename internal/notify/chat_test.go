package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/notify"
)

// receiver records the JSON bodies POSTed to it and answers status.
func receiver(t *testing.T, status *int) (*httptest.Server, *[]map[string]any) {
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("body is not a JSON object: %s", b)
		}
		got = append(got, v)
		w.WriteHeader(*status)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

// TestSlackPayload: text and blocks, the first ten subjects of 25 with
// Slack's escaping, the count and the link; a 404 (a removed webhook) is
// permanent and a 500 retryable.
func TestSlackPayload(t *testing.T) {
	status := 200
	srv, got := receiver(t, &status)
	ch := &tc.NotificationChannel{ID: "s", Name: "slack", Kind: tc.ChannelSlack, Enabled: true,
		Slack: &tc.ChatSettings{URL: srv.URL + "/services/T0/B0/token"}}
	d := notify.NewDispatcher(channels{"s": ch}, notify.Options{})
	m := testMessage(25)
	m.Subjects[0].Name = "db<1>&co"
	if err := d.Send(context.Background(), "s", m); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal((*got)[0])
	body := string(b)
	for _, want := range []string{`"text":"[FIRING] 25 agents not reporting (rule Datacenter A)"`, `"type":"header"`,
		`db\u0026lt;1\u0026gt;\u0026amp;co`, "web9", "25 in all", "15 more not listed", m.Link} {
		if !strings.Contains(body, want) {
			t.Errorf("slack body lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "web10") {
		t.Errorf("slack body lists more than ten subjects: %s", body)
	}
	status = 404
	if err := d.Send(context.Background(), "s", m); !errors.Is(err, notify.ErrPermanent) || strings.Contains(err.Error(), "token") {
		t.Errorf("404: %v, want permanent, without the URL", err)
	}
	status = 500
	if retry, _ := notify.RetryAfter(d.Send(context.Background(), "s", m)); !retry {
		t.Error("500 is not retryable")
	}
}

// TestTeamsPayload: a Workflows message holding one Adaptive Card with
// the title, the first subjects as facts and an OpenUrl action; resolved
// messages say so.
func TestTeamsPayload(t *testing.T) {
	status := 202
	srv, got := receiver(t, &status)
	ch := &tc.NotificationChannel{ID: "t", Name: "teams", Kind: tc.ChannelTeams, Enabled: true,
		Teams: &tc.ChatSettings{URL: srv.URL + "/workflows/x?sig=secret"}}
	d := notify.NewDispatcher(channels{"t": ch}, notify.Options{})
	m := testMessage(12)
	m.Status = notify.StatusResolved
	if err := d.Send(context.Background(), "t", m); err != nil {
		t.Fatal(err)
	}
	v := (*got)[0]
	if v["type"] != "message" {
		t.Errorf("type = %v, want message", v["type"])
	}
	atts, _ := v["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("attachments = %v", v["attachments"])
	}
	att := atts[0].(map[string]any)
	card, _ := att["content"].(map[string]any)
	if att["contentType"] != "application/vnd.microsoft.card.adaptive" || card["type"] != "AdaptiveCard" {
		t.Errorf("attachment = %v", att)
	}
	b, _ := json.Marshal(card)
	body := string(b)
	for _, want := range []string{"[RESOLVED] 12 agents", `"type":"FactSet"`, `"title":"web9"`, "2 more not listed", `"type":"Action.OpenUrl"`, m.Link} {
		if !strings.Contains(body, want) {
			t.Errorf("teams card lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, `"title":"web10"`) {
		t.Errorf("teams card lists more than ten subjects")
	}
}

// updateMessage is a firing update of a group of 20 from which seven
// subjects (gone0 … gone6) left since the last message.
func updateMessage() notify.Message {
	m := testMessage(20)
	for i := range 7 {
		id := "g" + strconv.Itoa(i)
		m.Resolved = append(m.Resolved, notify.Subject{Kind: "agent", ID: id, Name: "gone" + strconv.Itoa(i), Status: "resolved"})
	}
	return m
}

// TestChatNamesRecovered: Slack and Teams say how many subjects of an
// update recovered and name the first five; a message without any says
// nothing of it.
func TestChatNamesRecovered(t *testing.T) {
	status := 200
	srv, got := receiver(t, &status)
	d := notify.NewDispatcher(channels{
		"s": {ID: "s", Name: "slack", Kind: tc.ChannelSlack, Enabled: true, Slack: &tc.ChatSettings{URL: srv.URL + "/slack"}},
		"t": {ID: "t", Name: "teams", Kind: tc.ChannelTeams, Enabled: true, Teams: &tc.ChatSettings{URL: srv.URL + "/teams"}},
	}, notify.Options{})
	for _, tt := range []struct {
		channel, want string
	}{
		{"s", "*7 recovered:* gone0, gone1, gone2, gone3, gone4 and 2 more"},
		{"t", "7 recovered: gone0, gone1, gone2, gone3, gone4 and 2 more"},
	} {
		*got = nil
		if err := d.Send(context.Background(), tt.channel, updateMessage()); err != nil {
			t.Fatal(err)
		}
		if err := d.Send(context.Background(), tt.channel, testMessage(20)); err != nil {
			t.Fatal(err)
		}
		update, _ := json.Marshal((*got)[0])
		plain, _ := json.Marshal((*got)[1])
		if !strings.Contains(string(update), tt.want) || strings.Contains(string(update), "gone5") {
			t.Errorf("%s update lacks %q (or names more):\n%s", tt.channel, tt.want, update)
		}
		if strings.Contains(string(plain), "recovered") {
			t.Errorf("%s message without recovered subjects mentions them:\n%s", tt.channel, plain)
		}
	}
}

// TestWebhookCarriesResolved: the webhook body lists the subjects that
// left in resolved, and an empty list when none did.
func TestWebhookCarriesResolved(t *testing.T) {
	p := notify.NewWebhookPayload(updateMessage())
	if len(p.Resolved) != 7 || p.Resolved[6].Name != "gone6" || p.Resolved[0].Status != "resolved" || len(p.Subjects) != 20 {
		t.Errorf("resolved = %+v", p.Resolved)
	}
	b, _ := json.Marshal(notify.NewWebhookPayload(testMessage(2)))
	if !strings.Contains(string(b), `"resolved":[]`) {
		t.Errorf("body without resolved subjects: %s", b)
	}
}
