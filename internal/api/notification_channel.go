package api

import (
	"net/http"

	"github.com/telegrafcontroller/tc/internal/httpx"
	"github.com/telegrafcontroller/tc/internal/service"
)

// listNotificationChannels answers GET /api/notification-channels.
func (s *Server) listNotificationChannels(w http.ResponseWriter, r *http.Request) {
	list, err := s.NotificationChannels.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteList(w, list)
}

// createNotificationChannel answers POST /api/notification-channels.
func (s *Server) createNotificationChannel(w http.ResponseWriter, r *http.Request) {
	var req service.ChannelRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.NotificationChannels.Create(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/notification-channels/"+c.ID)
	httpx.WriteJSON(w, http.StatusCreated, c)
}

// getNotificationChannel answers GET /api/notification-channels/{id}.
func (s *Server) getNotificationChannel(w http.ResponseWriter, r *http.Request) {
	c, err := s.NotificationChannels.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

// replaceNotificationChannel answers PUT /api/notification-channels/{id}.
func (s *Server) replaceNotificationChannel(w http.ResponseWriter, r *http.Request) {
	var req service.ChannelRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.NotificationChannels.Replace(r.Context(), r.PathValue("id"), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}

// deleteNotificationChannel answers DELETE /api/notification-channels/{id}.
func (s *Server) deleteNotificationChannel(w http.ResponseWriter, r *http.Request) {
	if err := s.NotificationChannels.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// testNotificationChannel answers POST /api/notification-channels/{id}/test:
// 200 {"ok":true} once the receiver took the test message, 502 with its
// refusal otherwise.
func (s *Server) testNotificationChannel(w http.ResponseWriter, r *http.Request) {
	if err := s.NotificationChannels.Test(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
