package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
)

// benchGroup creates a 5-member group with parameters in every member and
// an alias "bench", and returns its id and a query for it.
func benchGroup(b *testing.B, inst *apptest.Instance) (string, string) {
	mgr := inst.MustRoleToken(b, tc.RoleManager)
	var ids []string
	for i := range 5 {
		toml := fmt.Sprintf("[[inputs.cpu]]\n  alias = \"cpu-%d\"\n  percpu = true\n  [inputs.cpu.tags]\n    host = \"&{agent_id}\"\n    region = \"&{region:eu}\"\n    dc = \"&{dc}\"\n", i)
		if i == 0 {
			toml = "[agent]\n  interval = \"10s\"\n\n[[outputs.heartbeat]]\n  url = \"http://controller:8000/agents/heartbeat\"\n" +
				"  instance_id = \"&{agent_id}\"\n  interval = \"1m\"\n  token = \"${TELEGRAF_CONTROLLER_TOKEN}\"\n"
		}
		ids = append(ids, mustConfig(b, inst, mgr, map[string]any{"name": fmt.Sprintf("bench-%d", i), "toml": toml}).ID)
	}
	g := mustGroup(b, inst, mgr, map[string]any{"name": "bench", "memberIds": ids})
	apptest.MustStatus(b, inst.Do(b, apptest.Req{Method: "POST", Path: "/api/config-groups/" + g.ID + "/aliases", Token: mgr,
		Body: map[string]any{"alias": "bench"}}), 201)
	return g.ID, "?agent_id=web-1&region=us&dc=dc1"
}

// BenchmarkConfigGroupTOML serves a 5-member group to token-authenticated
// GETs and HEADs over loopback, by id and through its alias's short URL,
// next to a bare net/http handler that returns the same bytes, in the
// same run. Compare served-* to bare-* in req/s (the goal of a single
// config: GET >= 0.6x, HEAD >= 0.8x). Figures go in docs/performance.md.
func BenchmarkConfigGroupTOML(b *testing.B) {
	inst := apptest.MustStart(b, apptest.DB{Name: "sqlite"}, apptest.WithArgs("--log-level", "warn"))
	reader := inst.MustToken(b, inst.MustUser(b, tc.RoleViewer), "config-groups:read")
	id, query := benchGroup(b, inst)
	served, short := inst.URL+"/api/config-groups/"+id+"/toml"+query, inst.URL+"/c/bench"+query
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	first := apptest.MustStatus(b, inst.Do(b, apptest.Req{Method: "GET", Path: served, Token: reader, Client: client}), 200)
	body, lm := first.Body, first.Header.Get("Last-Modified")
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/x-toml; charset=utf-8")
		w.Header().Set("Last-Modified", lm)
		w.Write(body)
	}))
	b.Cleanup(bare.Close)
	cases := []struct{ name, method, url, token string }{
		{"GET/bare", "GET", bare.URL, ""},
		{"GET/served", "GET", served, reader},
		{"GET/alias", "GET", short, reader},
		{"HEAD/bare", "HEAD", bare.URL, ""},
		{"HEAD/served", "HEAD", served, reader},
		{"HEAD/alias", "HEAD", short, reader},
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

// BenchmarkConfigGroupTOMLHandler is BenchmarkConfigGroupTOML on the server
// side alone: the whole main-listener chain against a bare handler writing
// the same bytes, without network or client.
func BenchmarkConfigGroupTOMLHandler(b *testing.B) {
	inst := apptest.MustStart(b, apptest.DB{Name: "sqlite"}, apptest.WithArgs("--log-level", "warn"))
	reader := inst.MustToken(b, inst.MustUser(b, tc.RoleViewer), "config-groups:read")
	id, query := benchGroup(b, inst)
	path := "/api/config-groups/" + id + "/toml" + query
	first := apptest.MustStatus(b, inst.Do(b, apptest.Req{Method: "GET", Path: path, Token: reader, Header: http.Header{"Accept-Encoding": {"identity"}}}), 200)
	body, lm := first.Body, first.Header.Get("Last-Modified")
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/x-toml; charset=utf-8")
		w.Header().Set("Last-Modified", lm)
		w.Write(body)
	})
	for _, tt := range []struct {
		name, method, path string
		h                  http.Handler
	}{
		{"GET/bare", "GET", path, bare}, {"GET/served", "GET", path, inst.MainHandler}, {"GET/alias", "GET", "/c/bench" + query, inst.MainHandler},
		{"HEAD/bare", "HEAD", path, bare}, {"HEAD/served", "HEAD", path, inst.MainHandler}, {"HEAD/alias", "HEAD", "/c/bench" + query, inst.MainHandler},
	} {
		b.Run(tt.name, func(b *testing.B) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
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
