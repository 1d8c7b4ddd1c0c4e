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
// (goal: GET >= 0.6x, HEAD >= 0.8x). Figures go in docs/performance.md.
// Allocations include the client's side.
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

	// Three rounds of pairs, each pair back to back, so that a pair sees
	// about the same machine load (this box is shared).
	cases := []struct{ name, method, url, token string }{
		{"GET/bare", "GET", bare.URL, ""},
		{"GET/served", "GET", served, reader},
		{"HEAD/bare", "HEAD", bare.URL, ""},
		{"HEAD/served", "HEAD", served, reader},
	}
	for i := 0; i < 3*len(cases); i++ {
		tt := cases[i%len(cases)]
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

// discardWriter is the cheapest ResponseWriter: it keeps headers and status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// BenchmarkConfigTOMLHandler measures the server side alone, without the
// network or a client: the whole main-listener handler chain (metrics,
// cross-origin check, routing, token authentication, the TOML cache) next
// to a bare handler writing the same bytes.
func BenchmarkConfigTOMLHandler(b *testing.B) {
	inst := apptest.MustStart(b, apptest.DB{Name: "sqlite"}, apptest.WithArgs("--log-level", "warn"))
	mgr := inst.MustRoleToken(b, tc.RoleManager)
	reader := inst.MustToken(b, inst.MustUser(b, tc.RoleViewer), "configs:read")
	c := mustConfig(b, inst, mgr, map[string]any{"name": "bench", "toml": "[global_tags]\n  id = \"&{agent_id}\"\n  region = \"&{region:eu}\"\n  dc = \"&{dc}\"\n"})
	path := "/api/configs/" + c.ID + "/toml?agent_id=web-1&region=us&dc=dc1"
	first := apptest.MustStatus(b, inst.Do(b, apptest.Req{Method: "GET", Path: path, Token: reader, Header: http.Header{"Accept-Encoding": {"identity"}}}), 200)
	body, lm := first.Body, first.Header.Get("Last-Modified")
	served := inst.MainHandler
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/x-toml; charset=utf-8")
		w.Header().Set("Last-Modified", lm)
		w.Write(body)
	})
	for _, tt := range []struct {
		name, method string
		h            http.Handler
	}{
		{"GET/bare", "GET", bare}, {"GET/served", "GET", served},
		{"HEAD/bare", "HEAD", bare}, {"HEAD/served", "HEAD", served},
	} {
		b.Run(tt.name, func(b *testing.B) {
			req := httptest.NewRequest(tt.method, path, nil)
			req.Header.Set("Authorization", "Bearer "+reader)
			req.Header.Set("Accept", "application/toml")
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.code = 200
				tt.h.ServeHTTP(w, req)
			}
			if w.code != 200 || w.h.Get("Last-Modified") != lm {
				b.Fatalf("status %d, Last-Modified %q", w.code, w.h.Get("Last-Modified"))
			}
		})
	}
}
