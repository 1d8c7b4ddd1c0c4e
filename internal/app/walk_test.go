package app_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/api"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// walkRow is a RoleRow as written in some package's test source.
type walkRow struct {
	method, path string
	at           string // file:line
}

// TestEveryRouteIsWalked fails when a route of the main listener has no
// apptest.RoleRow in any role walk of the module. Walk tables live in the
// test files of the packages that own each resource, which no other package
// can import, so the rows are read from the source: a row's Method and Path
// are string expressions, and a variable or call in a Path stands for one
// path segment.
func TestEveryRouteIsWalked(t *testing.T) {
	rows := walkRowsInModule(t, "../..")
	if len(rows) == 0 {
		t.Fatal("found no apptest.RoleRow in the module's tests")
	}
	inst := apptest.MustStart(t, apptest.DB{Name: "sqlite"})
	for _, rt := range inst.API.Routes() {
		if rt.Method == http.MethodHead {
			continue
		}
		if !slices.ContainsFunc(rows, func(r walkRow) bool { return r.method == rt.Method && apptest.RouteMatches(rt.Path, r.path) }) {
			t.Errorf("route %s %s (%s) has no row in any role walk (apptest.RoleRow)", rt.Method, rt.Path, permName(rt.Permission))
		}
	}
}

func permName(p tc.Permission) string {
	switch p {
	case api.Public:
		return "public"
	case api.SignedIn:
		return "signed in"
	case api.SessionOnly:
		return "session only"
	}
	return string(p)
}

// walkRowsInModule parses every _test.go file under root and returns the
// RoleRow literals in them.
func walkRowsInModule(t *testing.T, root string) []walkRow {
	t.Helper()
	var rows []walkRow
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rows = append(rows, roleRowsIn(fset, f)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// roleRowsIn finds apptest.RoleRow literals in f: typed ones and the
// elements of a []apptest.RoleRow literal.
func roleRowsIn(fset *token.FileSet, f *ast.File) []walkRow {
	// Assignments of string expressions (base := "/api/x/" + id), by name,
	// to resolve the variables a Path is built from.
	vars := map[string]ast.Expr{}
	ast.Inspect(f, func(n ast.Node) bool {
		if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
			for k, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok {
					vars[id.Name] = as.Rhs[k]
				}
			}
		}
		return true
	})
	var rows []walkRow
	add := func(lit *ast.CompositeLit) {
		var r walkRow
		for _, el := range lit.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			switch key, _ := kv.Key.(*ast.Ident); {
			case key == nil:
			case key.Name == "Method":
				r.method = stringOf(kv.Value, vars, 0)
			case key.Name == "Path":
				r.path = stringOf(kv.Value, vars, 0)
			}
		}
		r.at = fset.Position(lit.Pos()).String()
		rows = append(rows, r)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if isRoleRow(lit.Type) {
			add(lit)
		}
		if arr, ok := lit.Type.(*ast.ArrayType); ok && isRoleRow(arr.Elt) {
			for _, el := range lit.Elts {
				if row, ok := el.(*ast.CompositeLit); ok && row.Type == nil {
					add(row)
				}
			}
		}
		return true
	})
	return rows
}

func isRoleRow(e ast.Expr) bool {
	if sel, ok := e.(*ast.SelectorExpr); ok {
		return sel.Sel.Name == "RoleRow"
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name == "RoleRow"
	}
	return false
}

// stringOf evaluates a string expression; what cannot be known statically
// becomes the segment {x}.
func stringOf(e ast.Expr, vars map[string]ast.Expr, depth int) string {
	switch e := e.(type) {
	case *ast.BasicLit:
		if s, err := strconv.Unquote(e.Value); err == nil {
			return s
		}
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			return stringOf(e.X, vars, depth) + stringOf(e.Y, vars, depth)
		}
	case *ast.ParenExpr:
		return stringOf(e.X, vars, depth)
	case *ast.SelectorExpr:
		// http.MethodGet and friends.
		if x, ok := e.X.(*ast.Ident); ok && x.Name == "http" && strings.HasPrefix(e.Sel.Name, "Method") {
			return strings.ToUpper(strings.TrimPrefix(e.Sel.Name, "Method"))
		}
	case *ast.Ident:
		if v, ok := vars[e.Name]; ok && depth < 8 {
			return stringOf(v, vars, depth+1)
		}
	}
	return "{x}"
}

// TestAgentsRulesHealthRoleWalk walks the routes no resource's own table
// covers: agents, reporting rules, health and the API reference.
func TestAgentsRulesHealthRoleWalk(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		ctx := context.Background()
		newAgent := func(tb testing.TB) string {
			a := &tc.Agent{ID: uniq("walk-agent-"), Hostname: "walk.example", Status: tc.AgentOK, LastSeen: inst.Clock.Now()}
			if err := inst.Store.InsertAgents(ctx, []*tc.Agent{a}); err != nil {
				tb.Fatal(err)
			}
			return a.ID
		}
		newRule := func(tb testing.TB) string {
			r := &tc.ReportingRule{Name: uniq("walk-rule-"), NotReportingAfterSeconds: 60}
			if err := inst.Store.CreateReportingRule(ctx, r); err != nil {
				tb.Fatal(err)
			}
			return r.ID
		}
		fresh := func(f func(tb testing.TB) (string, any)) func(testing.TB, *apptest.Instance, *tc.User) (string, any) {
			return func(tb testing.TB, _ *apptest.Instance, _ *tc.User) (string, any) { return f(tb) }
		}
		agent, rule := newAgent(t), newRule(t)
		public := apptest.Statuses(200, 200, 200, 200, 200)
		read := apptest.Statuses(200, 200, 200, 200, 401)
		write := apptest.Statuses(200, 200, 200, 403, 401)
		created := apptest.Statuses(201, 201, 201, 403, 401)
		deleted := apptest.Statuses(204, 204, 204, 403, 401)
		rows := []apptest.RoleRow{
			{Method: "GET", Path: "/health/live", Want: public},
			{Method: "GET", Path: "/health/ready", Want: public},
			{Method: "GET", Path: "/health/leader", Want: public}, // outside a cluster every node leads
			{Method: "GET", Path: "/api/openapi.json", Want: public},
			{Method: "GET", Path: "/api/docs", Want: public},

			{Method: "GET", Path: "/api/agents", Want: read},
			{Method: "GET", Path: "/api/agents/summary", Want: read},
			{Method: "GET", Path: "/api/agents/export?format=csv&sortBy=severity", Want: read},
			{Method: "GET", Path: "/api/agents/" + agent, Want: read},
			{Method: "GET", Path: "/api/agents/fleet-health?range=7d", Want: read},
			{Method: "GET", Path: "/api/agents/" + agent + "/history?range=1h", Want: read},
			{Method: "PATCH", Path: "/api/agents/" + agent, Body: map[string]any{"reportingRuleId": tc.DefaultReportingRuleID}, Want: write},
			{Method: "DELETE", Path: "/api/agents/{id}", Want: deleted, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/agents/" + newAgent(tb), nil
			})},
			{Method: "POST", Path: "/api/agents/bulk", Want: write, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/agents/bulk", map[string]any{"action": "assign-rule", "ids": []string{newAgent(tb)}, "reportingRuleId": tc.DefaultReportingRuleID}
			})},
			{Method: "POST", Path: "/api/agents/bulk (delete)", Want: write, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/agents/bulk", map[string]any{"action": "delete", "ids": []string{newAgent(tb)}}
			})},
			{Method: "POST", Path: "/api/agents/bulk (filter)", Want: write, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/agents/bulk", map[string]any{"action": "assign-rule", "filter": map[string]any{"search": newAgent(tb)},
					"reportingRuleId": tc.DefaultReportingRuleID}
			})},
			{Method: "POST", Path: "/api/agents/bulk (delete filter)", Want: write, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/agents/bulk", map[string]any{"action": "delete", "filter": map[string]any{"search": newAgent(tb)}}
			})},

			{Method: "GET", Path: "/api/reporting-rules", Want: read},
			{Method: "POST", Path: "/api/reporting-rules", Want: created, Fresh: fresh(func(testing.TB) (string, any) {
				return "/api/reporting-rules", map[string]any{"name": uniq("rule-"), "notReportingAfterSeconds": 90}
			})},
			{Method: "GET", Path: "/api/reporting-rules/" + rule, Want: read},
			{Method: "PATCH", Path: "/api/reporting-rules/" + rule, Body: map[string]any{"description": "d"}, Want: write},
			{Method: "DELETE", Path: "/api/reporting-rules/{id}", Want: deleted, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/reporting-rules/" + newRule(tb), nil
			})},
			{Method: "POST", Path: "/api/reporting-rules/{id}/make-default", Want: write, Fresh: fresh(func(tb testing.TB) (string, any) {
				return "/api/reporting-rules/" + newRule(tb) + "/make-default", nil
			})},
		}
		inst.RequireRowsCover(t, rows, "/health/", "/api/openapi.json", "/api/docs", "/api/agents", "/api/reporting-rules")
		inst.WalkRoles(t, rows)
	})
}

// TestTokenScopeWalkEveryRoute calls every route with tokens of the owner
// that each hold exactly one permission: the route's own permission gets
// past the check (whatever the handler then answers on an unknown id or an
// empty body), every other one is 403. Routes for anyone signed in take
// every token, session-only ones (the account, and routes marked Session
// such as the ownership transfer) none; public ones are left to the role
// walks.
func TestTokenScopeWalkEveryRoute(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		inst := apptest.MustStart(t, db)
		owner := inst.MustOwner(t)
		secrets := map[tc.Permission]string{}
		for _, p := range tc.AllPermissions {
			secrets[p] = inst.MustToken(t, owner, p)
		}
		for _, rt := range inst.API.Routes() {
			if rt.Method == http.MethodHead || rt.Permission == api.Public {
				continue
			}
			path := strings.NewReplacer("{type}", "inputs", "{name}", "cpu", "{version}", "1").Replace(rt.Path)
			path = fillPath(path, "00000000-0000-4000-8000-000000000000")
			var body any
			if rt.Method == http.MethodPost || rt.Method == http.MethodPatch {
				body = map[string]any{}
			}
			for _, p := range tc.AllPermissions {
				r := inst.Do(t, apptest.Req{Method: rt.Method, Path: path, Body: body, Token: secrets[p]})
				allowed := (p == rt.Permission && !rt.Session) || rt.Permission == api.SignedIn
				switch {
				case allowed && (r.StatusCode == http.StatusForbidden || r.StatusCode == http.StatusUnauthorized):
					t.Errorf("%s %s with only %s: status = %d, want past the permission check; body: %s", rt.Method, path, p, r.StatusCode, r.Body)
				case !allowed && r.StatusCode != http.StatusForbidden:
					t.Errorf("%s %s with only %s (needs %s): status = %d, want 403; body: %s", rt.Method, path, p, rt.Permission, r.StatusCode, r.Body)
				}
			}
		}
	})
}
