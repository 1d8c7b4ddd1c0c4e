package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestNotificationChannelsRoles walks the channel endpoints as every role:
// owners and administrators write, delete and test, managers only read,
// viewers see nothing, nobody gets in without credentials.
func TestNotificationChannelsRoles(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
		defer receiver.Close()
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		var seq atomic.Int64
		name := func(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }
		newChannel := func(tb testing.TB) *tc.NotificationChannel {
			c := &tc.NotificationChannel{Name: name("hook-"), Kind: tc.ChannelWebhook, Enabled: true,
				Webhook: &tc.WebhookSettings{URL: receiver.URL, Secret: "s"}}
			if err := inst.Store.CreateNotificationChannel(ctx, c); err != nil {
				tb.Fatal(err)
			}
			return c
		}
		c := newChannel(t)
		read := apptest.Statuses(200, 200, 200, 403, 401)
		write := apptest.Statuses(200, 200, 403, 403, 401)
		fresh := func(f func(tb testing.TB) (string, any)) func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
			return func(tb testing.TB, _ *apptest.Instance, _ *tc.User) (string, any) { return f(tb) }
		}
		body := func() map[string]any {
			return map[string]any{"name": name("new-"), "kind": "webhook", "webhook": map[string]any{"url": receiver.URL}}
		}
		inst.WalkRoles(t, []apptest.RoleRow{
			{Method: "GET", Path: "/api/notification-channels", Want: read},
			{Method: "POST", Path: "/api/notification-channels", Want: apptest.Statuses(201, 201, 403, 403, 401),
				Fresh: fresh(func(testing.TB) (string, any) { return "/api/notification-channels", body() })},
			{Method: "GET", Path: "/api/notification-channels/" + c.ID, Want: read},
			{Method: "PUT", Path: "/api/notification-channels/" + c.ID, Want: write,
				Fresh: fresh(func(testing.TB) (string, any) { return "/api/notification-channels/" + c.ID, body() })},
			{Method: "DELETE", Path: "/api/notification-channels/{id}", Want: apptest.Statuses(204, 204, 403, 403, 401),
				Fresh: fresh(func(tb testing.TB) (string, any) { return "/api/notification-channels/" + newChannel(tb).ID, nil })},
			{Method: "POST", Path: "/api/notification-channels/" + c.ID + "/test", Want: write},
		})
	})
}
