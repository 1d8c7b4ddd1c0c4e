package tc

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Alert states: a subject found in its rule's state is pending until it
// has stayed there for the rule's for-duration, then firing until it
// leaves, then resolved (history). A pending alert whose subject leaves
// early is dropped: flapping under the for-duration says nothing.
const (
	AlertPending  = "pending"
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// AlertStates lists the states, in display order.
var AlertStates = []string{AlertFiring, AlertPending, AlertResolved}

// Kinds of alert subjects.
const (
	SubjectAgent = "agent"
	SubjectToken = "token"
)

// Alert is one subject (an agent or a token) of one rule, from when it was
// first seen in the rule's state until it left it.
type Alert struct {
	ID          string `json:"id"`
	RuleID      string `json:"ruleId"`
	RuleName    string `json:"ruleName"`
	Event       string `json:"event"`
	SubjectKind string `json:"subjectKind"`
	SubjectID   string `json:"subjectId"`
	SubjectName string `json:"subjectName"`
	// Detail is the agent's status, or the token's expiry date.
	Detail     string     `json:"detail"`
	State      string     `json:"state"`
	Since      time.Time  `json:"since"` // when it became pending
	FiredAt    *time.Time `json:"firedAt"`
	ResolvedAt *time.Time `json:"resolvedAt"`
	// Notified says the subject was in its group's last notification
	// (a resolved message names those).
	Notified bool `json:"notified"`
	// Muted is filled by reads for the active alerts a mute covers now.
	Muted bool `json:"muted"`
}

// AlertFilter selects alerts: State one of AlertStates ("" = the active
// ones, pending and firing), RuleID, and for the history a time range on
// when alerts resolved. Page counts from 1.
type AlertFilter struct {
	State    string
	RuleID   string
	From, To time.Time
	Page     int
	Limit    int
}

// AlertObservation is a subject found in a rule's state at an evaluation.
type AlertObservation struct {
	Kind, ID, Name, Detail string
	// Since is when the subject entered the state, when known (an agent's
	// status_since): a pending alert whose subject left and came back
	// between two evaluations starts its for-duration again.
	Since *time.Time
	// LabelIDs are the agent's labels, which label mutes match.
	LabelIDs []string
}

// AlertTransitions is what one evaluation of a rule changes.
type AlertTransitions struct {
	New      []*Alert // first seen: pending, or firing at once with a for-duration of 0
	Fired    []*Alert // pending → firing
	Resolved []*Alert // firing → resolved
	Dropped  []*Alert // pending whose subject left before the for-duration: removed
	Changed  []*Alert // still active, with a new name, detail or pending start
	// Active is every alert active after the step (pending and firing).
	Active []*Alert
}

// Empty reports whether the step changed nothing.
func (t *AlertTransitions) Empty() bool {
	return len(t.New)+len(t.Fired)+len(t.Resolved)+len(t.Dropped)+len(t.Changed) == 0
}

// StepAlerts moves rule r's active alerts along given the subjects found
// in its state at now: new subjects become pending (firing at once for a
// for-duration of 0), pending ones that have waited the for-duration fire,
// firing ones whose subject left resolve, pending ones whose subject left
// are dropped. Alerts in active are updated in place; new ones have no ID.
func StepAlerts(r *AlertRule, active []*Alert, obs []AlertObservation, now time.Time) AlertTransitions {
	var t AlertTransitions
	bySubject := make(map[string]*Alert, len(active))
	for _, a := range active {
		bySubject[a.SubjectID] = a
	}
	seen := make(map[string]bool, len(obs))
	for _, o := range obs {
		if seen[o.ID] {
			continue
		}
		seen[o.ID] = true
		a := bySubject[o.ID]
		if a == nil {
			a = &Alert{RuleID: r.ID, RuleName: r.Name, Event: r.Event, SubjectKind: o.Kind, SubjectID: o.ID,
				SubjectName: o.Name, Detail: o.Detail, State: AlertPending, Since: now}
			if r.ForSeconds == 0 {
				a.State, a.FiredAt = AlertFiring, &now
			}
			t.New = append(t.New, a)
			t.Active = append(t.Active, a)
			continue
		}
		changed := a.SubjectName != o.Name || a.Detail != o.Detail
		a.SubjectName, a.Detail = o.Name, o.Detail
		if a.State == AlertPending && o.Since != nil && o.Since.After(a.Since) {
			a.Since, changed = now, true // left and came back since the last look
		}
		if a.State == AlertPending && !now.Before(a.Since.Add(r.For())) {
			a.State, a.FiredAt = AlertFiring, &now
			t.Fired = append(t.Fired, a)
		} else if changed {
			t.Changed = append(t.Changed, a)
		}
		t.Active = append(t.Active, a)
	}
	for _, a := range active {
		if seen[a.SubjectID] {
			continue
		}
		if a.State == AlertPending {
			t.Dropped = append(t.Dropped, a)
			continue
		}
		a.State, a.ResolvedAt = AlertResolved, &now
		t.Resolved = append(t.Resolved, a)
	}
	return t
}

// Kinds of mutes: one agent, every agent with a label, or a whole rule.
const (
	MuteAgent = "agent"
	MuteLabel = "label"
	MuteRule  = "rule"
)

// MuteKinds lists the kinds of mutes.
var MuteKinds = []string{MuteAgent, MuteLabel, MuteRule}

// Limits of mutes.
const (
	MaxMuteReasonLen = 255
	MaxMuteDuration  = 366 * 24 * time.Hour
)

// AlertMute silences what it targets until Until: its alerts are still
// tracked (and shown as muted) but left out of notifications. A mute
// neither fires nor resolves anything: a group whose only firing subjects
// are muted sends nothing until the mute ends.
type AlertMute struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	TargetID   string    `json:"targetId"`
	TargetName string    `json:"targetName"`
	Until      time.Time `json:"until"`
	Reason     string    `json:"reason"`
	// CreatedBy is the user who muted (CreatedByName their username).
	CreatedBy     string    `json:"createdBy"`
	CreatedByName string    `json:"createdByName"`
	CreatedAt     time.Time `json:"createdAt"`
}

// Validate checks m at now: a known kind, a target, an end in the future
// within MaxMuteDuration, a short reason. Errors: EINVALID.
func (m *AlertMute) Validate(now time.Time) error {
	m.TargetID = strings.TrimSpace(m.TargetID)
	m.Reason = strings.TrimSpace(m.Reason)
	switch {
	case !slices.Contains(MuteKinds, m.Kind):
		return FieldErrorf("kind", "kind must be one of %s", strings.Join(MuteKinds, ", "))
	case m.TargetID == "":
		return FieldErrorf("targetId", "targetId is required: the agent, label or rule id to mute")
	case len(m.TargetID) > 255:
		return FieldErrorf("targetId", "targetId must be at most 255 bytes")
	case !m.Until.After(now):
		return FieldErrorf("until", "until must be in the future")
	case m.Until.After(now.Add(MaxMuteDuration)):
		return FieldErrorf("until", "a mute lasts at most 366 days")
	case utf8.RuneCountInString(m.Reason) > MaxMuteReasonLen:
		return FieldErrorf("reason", "reason must be at most %d characters", MaxMuteReasonLen)
	}
	return nil
}

// Mutes are the mutes in force.
type Mutes []AlertMute

// RuleMuted reports whether a mute covers the whole of rule ruleID at now.
func (ms Mutes) RuleMuted(ruleID string, now time.Time) bool {
	for _, m := range ms {
		if m.Kind == MuteRule && m.TargetID == ruleID && now.Before(m.Until) {
			return true
		}
	}
	return false
}

// Muted reports whether a mute covers subject o of rule ruleID at now: the
// rule, the agent, or one of its labels.
func (ms Mutes) Muted(ruleID string, kind, id string, labelIDs []string, now time.Time) bool {
	for _, m := range ms {
		if !now.Before(m.Until) {
			continue
		}
		switch m.Kind {
		case MuteRule:
			if m.TargetID == ruleID {
				return true
			}
		case MuteAgent:
			if kind == SubjectAgent && m.TargetID == id {
				return true
			}
		case MuteLabel:
			if kind == SubjectAgent && slices.Contains(labelIDs, m.TargetID) {
				return true
			}
		}
	}
	return false
}

// Why a group notifies.
const (
	NotifyFirst    = "first"    // the group's first message, after the group wait
	NotifyUpdate   = "update"   // subjects joined (or, with send-resolved, left), after the group interval
	NotifyRepeat   = "repeat"   // unchanged and still firing, after the repeat interval
	NotifyResolved = "resolved" // every subject left (send-resolved only)
)

// AlertGroup is the notification state of one rule's group: the firing
// subjects of the rule, told to its channels together. An episode runs
// from the first subject firing (Since) until the group is clear again.
type AlertGroup struct {
	RuleID string `json:"ruleId"`
	// Since starts the episode; zero while the group is idle.
	Since time.Time `json:"since"`
	// NotifiedAt is the episode's last message (zero before the first),
	// NotifiedCount how many subjects it named.
	NotifiedAt    time.Time `json:"notifiedAt"`
	NotifiedCount int       `json:"notifiedCount"`
}

// Step decides whether the group tells its channels now, Alertmanager's
// way, given firing, the group's unmuted firing subjects, of which fresh
// were not in the last message, and held, whether muted subjects are firing
// too. It returns why it notifies ("" for not) and whether g changed (to be
// stored).
//
//   - The first message waits GroupWait from the episode's start, so that
//     subjects that fail together (a sweep turning 500 agents silent) go
//     out as one.
//   - Later changes wait GroupInterval from the last message: subjects that
//     joined always; subjects that left only with SendResolved (otherwise
//     the next repeat names who is left).
//   - An unchanged group repeats after RepeatInterval.
//   - When nothing fires any more (and nothing muted holds the group), one
//     resolved message goes GroupInterval after the last one, with
//     SendResolved; the group is then idle. A group that cleared during its
//     group wait said nothing and says nothing.
func (g *AlertGroup) Step(r *AlertRule, firing, fresh int, held bool, now time.Time) (reason string, changed bool) {
	if firing > 0 {
		if g.Since.IsZero() {
			g.Since, changed = now, true
		}
		switch {
		case g.NotifiedAt.IsZero():
			if !now.Before(g.Since.Add(r.GroupWait())) {
				reason = NotifyFirst
			}
		case fresh > 0 || (firing < g.NotifiedCount && r.SendResolved):
			if !now.Before(g.NotifiedAt.Add(r.GroupInterval())) {
				reason = NotifyUpdate
			}
		default:
			if !now.Before(g.NotifiedAt.Add(r.Repeat())) {
				reason = NotifyRepeat
			}
		}
		if reason != "" {
			g.NotifiedAt, g.NotifiedCount, changed = now, firing, true
		}
		return reason, changed
	}
	if g.Since.IsZero() || held {
		return "", false
	}
	if !g.NotifiedAt.IsZero() {
		if now.Before(g.NotifiedAt.Add(r.GroupInterval())) {
			return "", false
		}
		if r.SendResolved {
			reason = NotifyResolved
		}
	}
	*g = AlertGroup{RuleID: g.RuleID}
	return reason, true
}

// Outbox states of a notification (docs/alerts.md, "Outbox and retries").
const (
	NotificationQueued  = "queued"  // waiting for its next attempt
	NotificationSent    = "sent"    // the channel took it
	NotificationFailed  = "failed"  // refused for good, or out of attempts
	NotificationDropped = "dropped" // its rule was deleted before it went
)

// Outcomes of one delivery attempt.
const (
	DeliverySent   = "sent"
	DeliveryRetry  = "retry"  // failed; tried again later
	DeliveryFailed = "failed" // failed for good
)

// NotificationDelivery is one attempt at sending one notification (an
// outbox entry) to one channel: the per-channel delivery log.
type NotificationDelivery struct {
	ID             int64     `json:"id"`
	NotificationID int64     `json:"notificationId"`
	ChannelID      string    `json:"channelId"`
	RuleID         string    `json:"ruleId"`
	RuleName       string    `json:"ruleName"`
	Status         string    `json:"status"` // firing or resolved
	Attempt        int       `json:"attempt"`
	At             time.Time `json:"at"`
	Outcome        string    `json:"outcome"`
	Error          string    `json:"error"`
	DurationMS     int64     `json:"durationMs"`
}

// DeliveryFilter selects delivery log entries, newest first; Page counts
// from 1.
type DeliveryFilter struct {
	ChannelID string
	RuleID    string
	Outcome   string
	Page      int
	Limit     int
}

// AlertMuteInput is the body of POST /api/alerts/mutes: what to mute and
// until when, as a time (Until) or a duration from now (DurationSeconds).
type AlertMuteInput struct {
	Kind            string     `json:"kind"`
	TargetID        string     `json:"targetId"`
	Until           *time.Time `json:"until"`
	DurationSeconds *int64     `json:"durationSeconds"`
	Reason          string     `json:"reason"`
}

// Mute is the mute the input describes at now. Errors: EINVALID.
func (in *AlertMuteInput) Mute(now time.Time) (AlertMute, error) {
	m := AlertMute{Kind: in.Kind, TargetID: in.TargetID, Reason: in.Reason}
	switch {
	case in.Until != nil && in.DurationSeconds != nil:
		return m, FieldErrorf("until", "give until or durationSeconds, not both")
	case in.Until != nil:
		m.Until = in.Until.UTC()
	case in.DurationSeconds != nil:
		if *in.DurationSeconds < 1 || *in.DurationSeconds > int64(MaxMuteDuration/time.Second) {
			return m, FieldErrorf("durationSeconds", "durationSeconds must be between 1 and %d (366 days)", int64(MaxMuteDuration/time.Second))
		}
		m.Until = now.Add(time.Duration(*in.DurationSeconds) * time.Second)
	default:
		return m, FieldErrorf("until", "until (a time) or durationSeconds is required")
	}
	return m, m.Validate(now)
}
