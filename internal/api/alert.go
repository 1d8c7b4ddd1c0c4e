package api

import (
	"net/http"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
)

// listAlerts answers GET /api/alerts: the active alerts (pending and
// firing), or one state with ?state=, of one rule with ?rule=; the history
// (?state=resolved) within ?from= and ?to= (when they resolved). Paged by
// ?page= and ?limit=.
func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := tc.AlertFilter{State: q.Get("state"), RuleID: q.Get("rule")}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			at, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				s.fail(w, r, tc.FieldErrorf(p.name, "%s must be an ISO 8601 time such as 2026-05-27T18:42:11Z", p.name))
				return
			}
			*p.dst = at
		}
	}
	var err error
	if f.Page, f.Limit, err = pageParams(r); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.Alerts.List(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.List[*tc.Alert]{Items: items, Total: total})
}

// pageParams reads ?page= (from 1) and ?limit= (up to
// service.MaxAlertPageSize, 100 by default).
func pageParams(r *http.Request) (page, limit int, err error) {
	if page, err = httpx.QueryInt(r, "page", 1, 1, 1<<30); err != nil {
		return 0, 0, err
	}
	limit, err = httpx.QueryInt(r, "limit", 100, 1, service.MaxAlertPageSize)
	return page, limit, err
}

// listMutes answers GET /api/alerts/mutes: the mutes in force.
func (s *Server) listMutes(w http.ResponseWriter, r *http.Request) {
	mutes, err := s.Alerts.Mutes(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteList(w, mutes)
}

// createMute answers POST /api/alerts/mutes.
func (s *Server) createMute(w http.ResponseWriter, r *http.Request) {
	var in tc.AlertMuteInput
	if err := s.decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.Alerts.Mute(r.Context(), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, m)
}

// deleteMute answers DELETE /api/alerts/mutes/{id}.
func (s *Server) deleteMute(w http.ResponseWriter, r *http.Request) {
	if err := s.Alerts.Unmute(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listDeliveries answers GET /api/alerts/deliveries: the delivery log,
// newest first, by ?channelId=, ?ruleId= and ?outcome=, paged.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := tc.DeliveryFilter{ChannelID: q.Get("channelId"), RuleID: q.Get("ruleId"), Outcome: q.Get("outcome")}
	var err error
	if f.Page, f.Limit, err = pageParams(r); err != nil {
		s.fail(w, r, err)
		return
	}
	items, total, err := s.Alerts.Deliveries(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.List[tc.NotificationDelivery]{Items: items, Total: total})
}
