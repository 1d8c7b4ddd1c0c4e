package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

func TestSearch(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		s := MustOpen(t, db)
		ctx := context.Background()
		ada := &tc.User{Username: "Ada", Email: "ada@example.test", Role: tc.RoleAdministrator}
		vic := &tc.User{Username: "vic", Email: "victor@corp.test", Role: tc.RoleViewer}
		for _, u := range []*tc.User{ada, vic} {
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		var agents []*tc.Agent
		for i := range 8 {
			agents = append(agents, &tc.Agent{ID: fmt.Sprintf("web-%02d", i), Hostname: fmt.Sprintf("host%d.EXAMPLE", i)})
		}
		agents = append(agents, &tc.Agent{ID: "db_1", Hostname: "pg.example"})
		if err := s.InsertAgents(ctx, agents); err != nil {
			t.Fatal(err)
		}
		cfg := &tc.Config{Name: "Web Servers", TOML: "a = 1\n"}
		if err := s.CreateConfig(ctx, cfg, ""); err != nil {
			t.Fatal(err)
		}
		lbl := &tc.Label{Name: "production", Color: "#123456"}
		if err := s.CreateLabel(ctx, lbl); err != nil {
			t.Fatal(err)
		}
		for i, u := range []*tc.User{ada, vic} {
			secret := tc.NewTokenSecret()
			tok := &tc.Token{Description: fmt.Sprintf("web deploy %d", i), UserID: u.ID, Hash: tc.HashSecret(secret), Last4: tc.TokenLast4(secret)}
			if err := s.CreateToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}

		names := func(kind, text string, limit int, owner string) []string {
			t.Helper()
			hits, err := s.Search(ctx, kind, text, limit, owner)
			if err != nil {
				t.Fatalf("Search(%s, %q): %v", kind, text, err)
			}
			var out []string
			for _, h := range hits {
				out = append(out, h.Name)
			}
			return out
		}
		for _, c := range []struct {
			kind, text string
			limit      int
			owner      string
			want       []string
		}{
			{"agent", "WEB", 3, "", []string{"web-00", "web-01", "web-02"}},
			{"agent", "host7", 5, "", []string{"web-07"}},
			{"agent", "_", 5, "", []string{"db_1"}}, // LIKE wildcards are literal
			{"agent", "%", 5, "", nil},
			{"config", "servers", 5, "", []string{"Web Servers"}},
			{"config", cfg.ID, 5, "", []string{"Web Servers"}},
			{"label", "PROD", 5, "", []string{"production"}},
			{"label", lbl.ID[:8], 5, "", []string{"production"}},
			{"token", "deploy", 5, "", []string{"web deploy 0", "web deploy 1"}},
			{"token", "deploy", 5, vic.ID, []string{"web deploy 1"}},
			{"user", "ada", 5, "", []string{"Ada"}},
			{"user", "corp.test", 5, "", []string{"vic"}},
			{"user", "nobody", 5, "", nil},
		} {
			if got := names(c.kind, c.text, c.limit, c.owner); !slices.Equal(got, c.want) {
				t.Errorf("Search(%s, %q, %d, %q) = %q, want %q", c.kind, c.text, c.limit, c.owner, got, c.want)
			}
		}
		if _, err := s.Search(ctx, "constant", "x", 5, ""); err == nil {
			t.Error("Search of an unknown kind: no error")
		}
	})
}
