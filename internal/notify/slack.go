package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/telegrafcontroller/tc"
)

// slackMessage is an incoming-webhook message: text is the notification's
// fallback, blocks what Slack shows.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string       `json:"type"`
	Text     *slackText   `json:"text,omitempty"`
	Elements []slackText  `json:"elements,omitempty"`
	Fields   []slackText  `json:"fields,omitempty"`
	Accessor *slackButton `json:"accessory,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackButton struct {
	Type string    `json:"type"`
	Text slackText `json:"text"`
	URL  string    `json:"url"`
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// newSlackMessage is m for Slack: a header, the summary with a link, the
// first subjects, how many recovered since the last message, and how many
// more.
func newSlackMessage(m Message) slackMessage {
	t := title(m)
	msg := slackMessage{Text: t}
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: truncate(t, 150)}})
	summary := slackEscape.Replace(m.Summary)
	if m.RuleName != "" {
		summary += "\nRule: *" + slackEscape.Replace(m.RuleName) + "*"
	}
	section := slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate(summary, 3000)}}
	if m.Link != "" {
		section.Accessor = &slackButton{Type: "button", Text: slackText{Type: "plain_text", Text: "Open"}, URL: m.Link}
	}
	msg.Blocks = append(msg.Blocks, section)
	first, more := firstSubjects(m, chatSubjects)
	if len(first) > 0 {
		var b strings.Builder
		for _, s := range first {
			name := slackEscape.Replace(s.Name)
			if s.Link != "" {
				name = "<" + s.Link + "|" + name + ">"
			}
			fmt.Fprintf(&b, "• %s  %s\n", name, slackEscape.Replace(s.Status))
		}
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate(b.String(), 3000)}})
	}
	if n, names := recovered(m); n > 0 {
		line := fmt.Sprintf("*%d recovered:* %s", n, slackEscape.Replace(names))
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate(line, 3000)}})
	}
	var ctx []string
	ctx = append(ctx, fmt.Sprintf("%d in all", max(m.Count, len(m.Subjects))))
	if more > 0 {
		ctx = append(ctx, fmt.Sprintf("%d more not listed", more))
	}
	if m.Link != "" {
		ctx = append(ctx, "<"+m.Link+"|See them in Telegraf Controller>")
	}
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: strings.Join(ctx, " · ")}}})
	return msg
}

// sendSlack POSTs m to the channel's incoming webhook.
func (d *ChannelDispatcher) sendSlack(ctx context.Context, s *tc.ChatSettings, m Message) error {
	body, err := json.Marshal(newSlackMessage(m))
	if err != nil {
		return fmt.Errorf("slack: encode: %w", ErrPermanent)
	}
	return d.post(ctx, "slack", s.URL, body, nil)
}

// truncate cuts s to at most n runes, ending in "…" when cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
