package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// wantLookAlike fails t unless err refuses the username as a conflict.
func wantLookAlike(t *testing.T, what string, err error) {
	t.Helper()
	var e *tc.Error
	if tc.ErrorCode(err) != tc.ECONFLICT || !errors.As(err, &e) || e.Field != "username" {
		t.Errorf("%s: err = %v, want a username conflict", what, err)
	}
}

// TestUsernameLookAlikes (issue 11): users created before the skeleton
// column get one at start-up, oldest first; a later one that already looked
// like an older user's keeps working, with a warning at every start; and no
// new user, rename or invite may take a name that looks like a user's or a
// pending invite's.
func TestUsernameLookAlikes(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		dsn := apptest.NewDSN(t, db)
		s, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Users as an older binary wrote them: no skeleton. "adrnin" already
		// looked like the older "admin".
		for i, name := range []string{"admin", "adrnin", "bob"} {
			if _, err := s.WithTxExec(ctx, `INSERT INTO users (id, username, email, role, created_at, updated_at) VALUES ($1, $2, $3, 'viewer', $4, $4)`,
				"legacy-"+name, name, name+"@example.test", int64(1000+i)); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
		logs := &apptest.SafeBuffer{}
		s, err = store.Open(ctx, dsn, store.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			t.Fatalf("open with colliding legacy users: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		if l := logs.String(); !strings.Contains(l, "username looks like another user's") || !strings.Contains(l, "username=adrnin") || !strings.Contains(l, "other_username=admin") {
			t.Fatalf("start-up logs = %q, want a warning naming adrnin and admin", l)
		}
		for _, id := range []string{"legacy-admin", "legacy-adrnin", "legacy-bob"} {
			if _, err := s.UserByID(ctx, id); err != nil {
				t.Fatalf("legacy user %s: %v", id, err)
			}
		}

		// New users: look-alikes of either legacy name, in any case, are refused.
		for _, name := range []string{"\u0430dmin", "\u0410dmin", "b0b", "B0B"} {
			wantLookAlike(t, "create "+name, s.CreateUser(ctx, &tc.User{Username: name, Email: uniqEmail(), Role: tc.RoleViewer}))
		}
		carol := &tc.User{Username: "carol", Email: uniqEmail(), Role: tc.RoleViewer}
		if err := s.CreateUser(ctx, carol); err != nil {
			t.Fatal(err)
		}
		// The unique index holds even without the check (concurrent writers).
		if _, err := s.WithTxExec(ctx, `INSERT INTO users (id, username, email, role, created_at, updated_at, username_skeleton) VALUES ('raw', 'car0l', 'raw@example.test', 'viewer', 1, 1, $1)`,
			tc.UsernameSkeleton("car0l")); !store.IsConflict(err) {
			t.Fatalf("raw insert of a look-alike skeleton: err = %v, want a unique violation", err)
		}

		// Renames: to a look-alike of someone else, refused; of oneself, fine.
		_, err = s.UpdateAccount(ctx, carol.ID, ptr("b0b"), nil)
		wantLookAlike(t, "rename carol to b0b", err)
		if _, err := s.UpdateAccount(ctx, carol.ID, ptr("car0l"), nil); err != nil {
			t.Fatalf("rename carol to car0l: %v", err)
		}
		if _, err := s.UpdateAccount(ctx, "legacy-adrnin", nil, ptr("adrnin-new@example.test")); err != nil {
			t.Fatalf("email change of a colliding legacy user: %v", err)
		}

		// Invites: a look-alike of a user or of a pending invite is refused,
		// and a pending invite's name is reserved against new users.
		now := time.Now()
		invite := func(name string) error {
			return s.CreateInvite(ctx, &tc.Invite{Username: name, Email: uniqEmail(), Role: tc.RoleViewer, CreatedBy: "test",
				ExpiresAt: now.Add(time.Hour), TokenHash: tc.HashSecret(tc.NewSecret(32))})
		}
		wantLookAlike(t, "invite \u0430dmin", invite("\u0430dmin"))
		if err := invite("dave"); err != nil {
			t.Fatal(err)
		}
		wantLookAlike(t, "invite d\u0430ve", invite("d\u0430ve"))
		wantLookAlike(t, "create d\u0430ve", s.CreateUser(ctx, &tc.User{Username: "d\u0430ve", Email: uniqEmail(), Role: tc.RoleViewer}))

		// Acceptance checks again: here a look-alike user slipped in after
		// the invite was made (written directly, as no path allows it).
		// The invite's creator must still be allowed to grant its role.
		inviter := &tc.User{Username: "inviter", Email: uniqEmail(), Role: tc.RoleAdministrator}
		if err := s.CreateUser(ctx, inviter); err != nil {
			t.Fatal(err)
		}
		token := tc.NewSecret(32)
		if err := s.CreateInvite(ctx, &tc.Invite{Username: "erin", Email: uniqEmail(), Role: tc.RoleViewer, CreatedBy: inviter.ID,
			ExpiresAt: now.Add(time.Hour), TokenHash: tc.HashSecret(token)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WithTxExec(ctx, `INSERT INTO users (id, username, email, role, created_at, updated_at, username_skeleton) VALUES ('late', $1, 'late@example.test', 'viewer', 1, 1, $2)`,
			"\u0435rin", tc.UsernameSkeleton("\u0435rin")); err != nil {
			t.Fatal(err)
		}
		_, err = s.AcceptInvite(ctx, tc.HashSecret(token), "", tc.HashSecret(tc.NewSecret(32)), now.Add(time.Hour))
		wantLookAlike(t, "accept the invite of erin", err)
	})
}

var emails atomic.Int64

func uniqEmail() string { return fmt.Sprintf("user%d@example.test", emails.Add(1)) }

func ptr[T any](v T) *T { return &v }
