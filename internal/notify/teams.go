package notify

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/telegrafcontroller/tc"
)

// teamsMessage is what a Teams Workflows webhook ("When a Teams webhook
// request is received") takes: a message with one Adaptive Card.
type teamsMessage struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string    `json:"contentType"`
	ContentURL  *string   `json:"contentUrl"`
	Content     teamsCard `json:"content"`
}

type teamsCard struct {
	Schema  string        `json:"$schema"`
	Type    string        `json:"type"`
	Version string        `json:"version"`
	Body    []any         `json:"body"`
	Actions []teamsAction `json:"actions,omitempty"`
	MSTeams struct {
		Width string `json:"width"`
	} `json:"msteams"`
}

type teamsText struct {
	Type   string `json:"type"`
	Text   string `json:"text"`
	Weight string `json:"weight,omitempty"`
	Size   string `json:"size,omitempty"`
	Color  string `json:"color,omitempty"`
	Wrap   bool   `json:"wrap"`
}

type teamsFactSet struct {
	Type  string      `json:"type"`
	Facts []teamsFact `json:"facts"`
}

type teamsFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type teamsAction struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// newTeamsMessage is m for Teams: the title, the summary, the first
// subjects as facts, how many recovered since the last message, how many
// more, and a button to the agents.
func newTeamsMessage(m Message) teamsMessage {
	color := "Attention"
	switch {
	case m.Test:
		color = "Accent"
	case m.Status == StatusResolved:
		color = "Good"
	}
	card := teamsCard{Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4"}
	card.MSTeams.Width = "Full"
	card.Body = append(card.Body,
		teamsText{Type: "TextBlock", Text: title(m), Weight: "Bolder", Size: "Medium", Color: color, Wrap: true})
	if m.RuleName != "" {
		card.Body = append(card.Body, teamsText{Type: "TextBlock", Text: "Rule: " + m.RuleName, Wrap: true})
	}
	first, more := firstSubjects(m, chatSubjects)
	if len(first) > 0 {
		facts := teamsFactSet{Type: "FactSet"}
		for _, s := range first {
			facts.Facts = append(facts.Facts, teamsFact{Title: s.Name, Value: s.Status})
		}
		card.Body = append(card.Body, facts)
	}
	if n, names := recovered(m); n > 0 {
		card.Body = append(card.Body, teamsText{Type: "TextBlock", Text: fmt.Sprintf("%d recovered: %s", n, names), Color: "Good", Wrap: true})
	}
	count := fmt.Sprintf("%d in all", max(m.Count, len(m.Subjects)))
	if more > 0 {
		count += fmt.Sprintf(", %d more not listed", more)
	}
	card.Body = append(card.Body, teamsText{Type: "TextBlock", Text: count, Size: "Small", Wrap: true})
	if m.Link != "" {
		card.Actions = []teamsAction{{Type: "Action.OpenUrl", Title: "See them in Telegraf Controller", URL: m.Link}}
	}
	return teamsMessage{Type: "message", Attachments: []teamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive", Content: card}}}
}

// sendTeams POSTs m to the channel's Workflows webhook.
func (d *ChannelDispatcher) sendTeams(ctx context.Context, s *tc.ChatSettings, m Message) error {
	body, err := json.Marshal(newTeamsMessage(m))
	if err != nil {
		return fmt.Errorf("teams: encode: %w", ErrPermanent)
	}
	return d.post(ctx, "teams", s.URL, body, nil)
}
