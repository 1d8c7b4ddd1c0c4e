package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/store"
)

// TestUpdateSettingsSerialises: an update that starts while another is
// being applied works on what the first committed, so two updates of
// different fields both stay (a read-then-write from outside the lock would
// put the first field back).
func TestUpdateSettingsSerialises(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		dsn := apptest.NewDSN(t, db)
		open := func() *store.Store {
			s, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		s := open()
		if err := s.InitSettings(ctx, tc.DefaultSettings); err != nil {
			t.Fatal(err)
		}
		inFirst, release := make(chan struct{}), make(chan struct{})
		firstDone := make(chan error, 1)
		go func() {
			_, err := s.UpdateSettings(ctx, func(v *tc.Settings) {
				close(inFirst)
				<-release
				v.PublicUIURL = "https://ui.example.com"
			})
			firstDone <- err
		}()
		<-inFirst
		secondDone := make(chan tc.Settings, 1)
		go func() {
			v, err := s.UpdateSettings(ctx, func(v *tc.Settings) { v.LoginLockoutAttempts = 9 })
			if err != nil {
				t.Error(err)
			}
			secondDone <- v
		}()
		// Give the second update time to reach the lock; if it has not, it
		// runs after the first anyway and the test passes for the wrong
		// reason, never fails for one.
		time.Sleep(50 * time.Millisecond)
		close(release)
		if err := <-firstDone; err != nil {
			t.Fatal(err)
		}
		got := <-secondDone
		if got.PublicUIURL != "https://ui.example.com" || got.LoginLockoutAttempts != 9 {
			t.Fatalf("after both updates: %+v", got)
		}
		if c := s.Settings(); !reflect.DeepEqual(c, got) {
			t.Fatalf("cached %+v, want %+v", c, got)
		}
		// What is stored is what is cached.
		if stored := open().Settings(); !reflect.DeepEqual(stored, got) {
			t.Fatalf("stored %+v, want %+v", stored, got)
		}
	})
}

// TestSettingsReadDuringUpdate: a reader of the settings (every sign-in
// reads the lockout policy) does not wait for an update being applied; it
// sees the settings in force until the update commits.
func TestSettingsReadDuringUpdate(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		s := MustOpen(t, db)
		if err := s.InitSettings(ctx, tc.DefaultSettings); err != nil {
			t.Fatal(err)
		}
		inUpdate, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := s.UpdateSettings(ctx, func(v *tc.Settings) {
				close(inUpdate)
				<-release
				v.LoginLockoutAttempts = 9
			})
			done <- err
		}()
		<-inUpdate
		read := make(chan tc.Settings, 1)
		go func() { read <- s.Settings() }()
		select {
		case got := <-read:
			if !reflect.DeepEqual(got, tc.DefaultSettings) {
				t.Errorf("read during the update: %+v, want the settings in force %+v", got, tc.DefaultSettings)
			}
		case <-time.After(10 * time.Second):
			t.Error("Settings waited for an update being applied")
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := s.Settings().LoginLockoutAttempts; got != 9 {
			t.Fatalf("after the update: lockout attempts %d, want 9", got)
		}
	})
}
