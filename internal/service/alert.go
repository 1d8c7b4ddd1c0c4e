package service

import (
	"context"
	"slices"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/store"
)

// MaxAlertPageSize caps a page of alerts or of the delivery log.
const MaxAlertPageSize = 500

// Alerts is the alerts service (docs/alerts.md): the alerts (active and
// history), mutes, and the notifications' delivery log. Reading needs
// alerts:read; muting and unmuting alerts:write.
type Alerts struct {
	Store *store.Store
	Now   func() time.Time
}

func alertPerm(action string) tc.Permission { return tc.Perm(tc.ResAlerts, action) }

// List returns a page of alerts matching f and how many match.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Alerts) List(ctx context.Context, f tc.AlertFilter) ([]*tc.Alert, int64, error) {
	if _, err := require(ctx, alertPerm(tc.ActionRead)); err != nil {
		return nil, 0, err
	}
	if f.State != "" && !slices.Contains(tc.AlertStates, f.State) {
		return nil, 0, tc.FieldErrorf("state", "state must be firing, pending or resolved")
	}
	if f.Limit <= 0 || f.Limit > MaxAlertPageSize {
		f.Limit = MaxAlertPageSize
	}
	return s.Store.Alerts(ctx, f)
}

// Counts returns each rule's pending and firing alerts.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Alerts) Counts(ctx context.Context) (map[string]store.AlertCount, error) {
	if _, err := require(ctx, alertPerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.AlertCounts(ctx)
}

// Mutes returns the mutes in force, ending soonest first.
// Errors: EUNAUTHORIZED, EFORBIDDEN.
func (s *Alerts) Mutes(ctx context.Context) ([]tc.AlertMute, error) {
	if _, err := require(ctx, alertPerm(tc.ActionRead)); err != nil {
		return nil, err
	}
	return s.Store.ActiveMutes(ctx, s.Now())
}

// Mute silences what in names, recording the caller as its author.
// Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Alerts) Mute(ctx context.Context, in tc.AlertMuteInput) (*tc.AlertMute, error) {
	if _, err := require(ctx, alertPerm(tc.ActionWrite)); err != nil {
		return nil, err
	}
	m, err := in.Mute(s.Now())
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateMute(ctx, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Unmute lifts mute id. Errors: EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND.
func (s *Alerts) Unmute(ctx context.Context, id string) error {
	if _, err := require(ctx, alertPerm(tc.ActionWrite)); err != nil {
		return err
	}
	return s.Store.DeleteMute(ctx, id)
}

// Deliveries returns a page of the delivery log and how many entries
// match. Errors: EUNAUTHORIZED, EFORBIDDEN, EINVALID.
func (s *Alerts) Deliveries(ctx context.Context, f tc.DeliveryFilter) ([]tc.NotificationDelivery, int64, error) {
	if _, err := require(ctx, alertPerm(tc.ActionRead)); err != nil {
		return nil, 0, err
	}
	if f.Outcome != "" && !slices.Contains([]string{tc.DeliverySent, tc.DeliveryRetry, tc.DeliveryFailed}, f.Outcome) {
		return nil, 0, tc.FieldErrorf("outcome", "outcome must be sent, retry or failed")
	}
	if f.Limit <= 0 || f.Limit > MaxAlertPageSize {
		f.Limit = MaxAlertPageSize
	}
	return s.Store.Deliveries(ctx, f)
}
