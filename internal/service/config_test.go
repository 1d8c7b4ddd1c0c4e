package service

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
)

// callerWith returns ctx carrying a signed-in caller holding perms.
func callerWith(perms ...tc.Permission) context.Context {
	u := &tc.User{ID: "u1", Username: "ann", Role: tc.RoleViewer}
	return tc.NewContextWithCaller(context.Background(), &tc.Caller{User: u, Permissions: tc.NewPermissionSet(perms...)})
}

// TestConfigsRefuseBeforeTheStore checks the rules a Configs method applies
// before it reads or writes anything: the permission, and request checks.
// The service has no store, so reaching it would panic.
func TestConfigsRefuseBeforeTheStore(t *testing.T) {
	s := &Configs{}
	read := callerWith(tc.Perm(tc.ResConfigs, tc.ActionRead))
	all := callerWith(tc.Perm(tc.ResConfigs, tc.ActionRead), tc.Perm(tc.ResConfigs, tc.ActionWrite), tc.Perm(tc.ResConfigs, tc.ActionDelete))
	name := "base"
	long := strings.Repeat("n", tc.MaxChangeNoteLen)
	zero := 0
	tests := []struct {
		name      string
		call      func() error
		code, fld string
	}{
		{"no caller", func() error { _, err := s.Get(context.Background(), "x"); return err }, tc.EUNAUTHORIZED, ""},
		{"create without configs:write", func() error { _, _, err := s.Create(read, ConfigRequest{Name: &name}, ""); return err }, tc.EFORBIDDEN, ""},
		{"delete without configs:delete", func() error { return s.Delete(read, "x") }, tc.EFORBIDDEN, ""},
		{"create without a name", func() error { _, _, err := s.Create(all, ConfigRequest{}, ""); return err }, tc.EINVALID, "name"},
		{"list by an unknown column", func() error { _, _, err := s.List(read, tc.ConfigFilter{SortBy: "id"}); return err }, tc.EINVALID, "sortBy"},
		{"list in an unknown order", func() error { _, _, err := s.List(read, tc.ConfigFilter{SortOrder: "up"}); return err }, tc.EINVALID, "sortOrder"},
		{"list past the last page", func() error { _, _, err := s.List(read, tc.ConfigFilter{Page: MaxConfigPage + 1}); return err }, tc.EINVALID, "page"},
		{"list too many", func() error { _, _, err := s.List(read, tc.ConfigFilter{Limit: MaxConfigLimit + 1}); return err }, tc.EINVALID, "limit"},
		{"bulk delete of nothing", func() error { _, err := s.BulkDelete(all, nil); return err }, tc.EINVALID, "ids"},
		{"bulk delete of too many", func() error { _, err := s.BulkDelete(all, make([]string, MaxBulkConfigIDs+1)); return err }, tc.EINVALID, "ids"},
		{"rollback note too long with its prefix", func() error { _, err := s.Rollback(all, "x", 1, long); return err }, tc.EINVALID, "note"},
		{"version note absent", func() error { _, _, err := s.SetVersionNote(all, "x", 1, nil); return err }, tc.EINVALID, "note"},
		{"prune by nothing", func() error { _, err := s.PruneVersions(all, "x", PruneRequest{}); return err }, tc.EINVALID, ""},
		{"prune before version 0", func() error { _, err := s.PruneVersions(all, "x", PruneRequest{BeforeVersion: &zero}); return err }, tc.EINVALID, "beforeVersion"},
		{"validate without TOML", func() error { _, err := s.Validate(read, ValidateRequest{}); return err }, tc.EINVALID, "toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if got := tc.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
			}
			var fld string
			if e, ok := errors.AsType[*tc.Error](err); ok {
				fld = e.Field
			}
			if fld != tt.fld {
				t.Errorf("field = %q, want %q", fld, tt.fld)
			}
		})
	}
}

// TestConfigsExemptCaller checks that a route exempted from authentication
// (a caller without User holding the route's permission) passes the check.
func TestConfigsExemptCaller(t *testing.T) {
	ctx := tc.NewContextWithCaller(context.Background(), tc.WithExempt(nil, tc.Perm(tc.ResConfigs, tc.ActionRead)))
	rep, err := (&Configs{}).Validate(ctx, ValidateRequest{TOML: new(string)})
	if err != nil || !rep.Valid() {
		t.Fatalf("Validate = %v, %v; want a valid report", rep, err)
	}
}

func TestDefaultTOMLHeartbeatURL(t *testing.T) {
	tests := []struct {
		host, public string
		tls          bool
		want         string
	}{
		{"tc.example.com:8080", "", false, `url = "http://tc.example.com:8000/agents/heartbeat"`},
		{"[::1]:8080", "", true, `url = "https://[::1]:8000/agents/heartbeat"`},
		{"", "", false, `url = "http://localhost:8000/agents/heartbeat"`},
		{"tc.example.com", "https://hb.example.com/", false, `url = "https://hb.example.com/agents/heartbeat"`},
	}
	for _, tt := range tests {
		s := &Configs{TLS: tt.tls, HeartbeatPort: 8000, PublicHeartbeatURL: func(context.Context) string { return tt.public }}
		if got := s.DefaultTOML(context.Background(), tt.host); !strings.Contains(got, tt.want) {
			t.Errorf("host %q, public %q: DefaultTOML =\n%s\nwant it to hold %s", tt.host, tt.public, got, tt.want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]int{"1": 1, "42": 42, "0": 0, "-1": 0, "x": 0, "": 0} {
		got, err := ParseVersion("from", in)
		if got != want || (err == nil) != (want > 0) {
			t.Errorf("ParseVersion(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestLabelsAndConstantsRefuseBeforeTheStore(t *testing.T) {
	ls, ks := &Labels{}, &Constants{}
	ctx := callerWith(tc.Perm(tc.ResLabels, tc.ActionWrite), tc.Perm(tc.ResConstants, tc.ActionWrite))
	str := func(s string) *string { return &s }
	tests := []struct {
		name      string
		call      func() error
		code, fld string
	}{
		{"label delete without labels:delete", func() error { return ls.Delete(ctx, "x") }, tc.EFORBIDDEN, ""},
		{"label without a colour", func() error { _, err := ls.Create(ctx, LabelRequest{Name: str("prod")}); return err }, tc.EINVALID, "color"},
		{"label of a blank name", func() error { _, err := ls.Update(ctx, "x", LabelRequest{Name: str("  ")}); return err }, tc.EINVALID, "name"},
		{"label of two lines", func() error { _, err := ls.Update(ctx, "x", LabelRequest{Name: str("a\nb")}); return err }, tc.EINVALID, "name"},
		{"label of a named colour", func() error { _, err := ls.Update(ctx, "x", LabelRequest{Color: str("red")}); return err }, tc.EINVALID, "color"},
		{"constant delete without constants:delete", func() error { return ks.Delete(ctx, "x") }, tc.EFORBIDDEN, ""},
		{"constant of an upper-case name", func() error {
			_, err := ks.Create(ctx, ConstantRequest{Name: str("Region"), Value: str("eu")})
			return err
		}, tc.EINVALID, "name"},
		{"constant without a value", func() error { _, err := ks.Create(ctx, ConstantRequest{Name: str("region")}); return err }, tc.EINVALID, "value"},
		{"constant renamed", func() error { _, err := ks.Update(ctx, "region", ConstantRequest{Name: str("zone")}); return err }, tc.EINVALID, "name"},
		{"constant too large", func() error {
			_, err := ks.Update(ctx, "region", ConstantRequest{Value: str(strings.Repeat("v", tc.MaxConstantValueLen+1))})
			return err
		}, tc.EINVALID, "value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if got := tc.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
			}
			var fld string
			if e, ok := errors.AsType[*tc.Error](err); ok {
				fld = e.Field
			}
			if fld != tt.fld {
				t.Errorf("field = %q, want %q", fld, tt.fld)
			}
		})
	}
}
