package app_test

import (
	"fmt"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// BenchmarkAuditMutation measures an API change (PATCH of a label through
// a token, over HTTP on loopback) with the audit log on and off, on both
// databases: the cost of writing the entry in the change's transaction.
//
//	go test -run '^$' -bench AuditMutation -benchtime 2000x ./internal/app/
func BenchmarkAuditMutation(b *testing.B) {
	for _, db := range []apptest.DB{{Name: "sqlite"}, {Name: "postgres"}} {
		for _, audit := range []string{"off", "on"} {
			b.Run(db.Name+"/audit-"+audit, func(b *testing.B) {
				if db.Name == "postgres" {
					apptest.RequirePostgres(b)
				}
				inst := apptest.MustStart(b, db, apptest.WithArgs("--audit-enabled="+map[string]string{"on": "true", "off": "false"}[audit]))
				tok := inst.MustRoleToken(b, tc.RoleAdministrator)
				var l struct{ ID string }
				apptest.MustStatus(b, inst.Do(b, apptest.Req{Method: "POST", Path: "/api/labels", Token: tok,
					Body: map[string]string{"name": "bench", "color": "#00ff00"}}), 201).JSON(b, &l)
				i := 0
				for b.Loop() {
					i++
					apptest.MustStatus(b, inst.Do(b, apptest.Req{Method: "PATCH", Path: "/api/labels/" + l.ID, Token: tok,
						Body: map[string]string{"description": fmt.Sprint(i)}}), 200)
				}
			})
		}
	}
}
