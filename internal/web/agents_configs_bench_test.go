package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// BenchmarkPagesWithLargeConfigs renders the pages that list configs (the
// agents page fills its config drop-down with up to 200 of them; the configs
// page shows one page of 25) over 200 tiny configs and over 200 configs of
// 1 MiB, in the same run. The size of the TOML should not show in either:
// lists carry names, not TOML.
//
//	go test ./internal/web -run '^$' -bench PagesWithLargeConfigs -benchtime 20x
func BenchmarkPagesWithLargeConfigs(b *testing.B) {
	const n = 200
	for _, size := range []struct {
		name  string
		bytes int
	}{{"tiny", 0}, {"1MiB", 1 << 20}} {
		b.Run(size.name, func(b *testing.B) {
			inst := apptest.MustStart(b, apptest.DB{Name: "sqlite"})
			ctx := context.Background()
			owner := inst.MustOwner(b)
			toml := benchTOML(size.bytes)
			for i := range n {
				c := &tc.Config{Name: fmt.Sprintf("config-%03d", i), TOML: toml, CreatedBy: owner.ID, LabelIDs: []string{}}
				if err := inst.Store.CreateConfig(ctx, c, ""); err != nil {
					b.Fatal(err)
				}
			}
			// Write the seeding out of the WAL now, not during the first
			// measured requests.
			if _, err := inst.Store.ReadDB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
				b.Fatal(err)
			}
			client := inst.MustSession(b, owner)
			for _, path := range []string{"/agents", "/configs"} {
				b.Run(strings.TrimPrefix(path, "/"), func(b *testing.B) {
					get := func() {
						resp, err := client.Get(inst.URL + path)
						if err != nil {
							b.Fatal(err)
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							b.Fatalf("GET %s: %d", path, resp.StatusCode)
						}
					}
					get() // warm
					b.ReportAllocs()
					for b.Loop() {
						get()
					}
				})
			}
		})
	}
}

// benchTOML is a valid Telegraf TOML of about size bytes (one small section
// when size is 0).
func benchTOML(size int) string {
	const section = "[[inputs.cpu]]\n  percpu = true\n  totalcpu = true\n  collect_cpu_time = false\n\n"
	if size == 0 {
		return section
	}
	return strings.Repeat(section, size/len(section))
}
