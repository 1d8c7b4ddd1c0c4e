package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// BenchmarkConfigTOML serves a 3-parameter config to token-authenticated GETs
// and HEADs over loopback, next to a bare net/http handler that returns the
// same bytes, in the same run. Compare the req/s of served-* to bare-*
// (goal: GET >= 0.6x, HEAD >= 0.8x). Each pair runs back to back; this
// machine is shared, so compare pairs from the same run and use -count.
// Figures go in docs/performance.md. Allocations include the client's.
func BenchmarkConfigTOML(b *testing.B) {
	inst := apptest.MustStart(b, apptest.DB{Name: "sqlite"}, apptest.WithArgs("--log-level", "warn"))
	mgr := inst.MustRoleToken(b, tc.RoleManager)
	reader := inst.MustToken(b, inst.MustUser(b, tc.RoleViewer), "configs:read")
	toml := "[agent]\n  interval = \"10s\"\n\n[global_tags]\n  region = \"&{region:eu}\"\n  dc = \"&{dc}\"\n\n" +
		"[[inputs.cpu]]\n  percpu = true\n\n[[outputs.heartbeat]]\n  url = \"http://controller:8000/agents/heartbeat\"\n" +
		"  instance_id = \"&{agent_id}\"\n  interval = \"1m\"\n  include = [\"hostname\", \"statistics\", \"configs\", \"logs\", \"status\"]\n" +
		"  token = \"${TELEGRAF_CONTROLLER_TOKEN}\"\n"
	c := mustConfig(b, inst, mgr, map[string]any{"name": "bench", "toml": toml})
	served := inst.URL + "/api/configs/" + c.ID + "/toml?agent_id=web-1&region=us&dc=dc1"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	first := inst.Do(b, apptest.Req{Method: "GET", Path: served, Token: reader, Client: client})
	apptest.MustStatus(b, first, 200)
	body, lm := first.Body, first.Header.Get("Last-Modified")

	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/x-toml; charset=utf-8")
		w.Header().Set("Last-Modified", lm)
		w.Write(body)
	}))
	b.Cleanup(bare.Close)

	for _, tt := range []struct{ name, method, url, token string }{
		{"GET/bare", "GET", bare.URL, ""},
		{"GET/served", "GET", served, reader},
		{"HEAD/bare", "HEAD", bare.URL, ""},
		{"HEAD/served", "HEAD", served, reader},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				req, _ := http.NewRequest(tt.method, tt.url, nil)
				if tt.token != "" {
					req.Header.Set("Authorization", "Bearer "+tt.token)
				}
				for pb.Next() {
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || resp.Header.Get("Last-Modified") != lm {
						b.Errorf("status %d, Last-Modified %q", resp.StatusCode, resp.Header.Get("Last-Modified"))
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
