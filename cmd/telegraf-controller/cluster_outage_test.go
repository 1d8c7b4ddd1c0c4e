package main_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestClusterPostgresOutage stops the cluster's PostgreSQL for 20 s under
// heartbeat load through HAProxy. Meanwhile every node reports not ready
// and answers database-backed requests with 503 (never 500, never past the
// client's timeout) while heartbeats keep being acknowledged from memory;
// once PostgreSQL is back the nodes recover without a restart and every
// acknowledged heartbeat is written exactly once.
func TestClusterPostgresOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a cluster")
	}
	apptest.RequireHAProxy(t)
	pg := apptest.StartPostgresServer(t)
	bin := buildBinary(t)
	dsn := pg.NewDSN(t)
	nodes, lb, token := startProcessCluster(t, bin, dsn, "--ha-check-interval", "500ms", "--drain-period", "0s")

	const agents = 50
	var acked, failed [agents]atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				for a := w; a < agents; a += 2 {
					select {
					case <-stop:
						return
					default:
					}
					body := fmt.Sprintf(`{"id":"outage-%03d","version":"1.39.3","schema":1,"hostname":"h%d","statistics":{"metrics":1,"errors":0,"warnings":0},"status":"ok"}`, a, a)
					req, _ := http.NewRequest("POST", lb.HeartbeatURL+"/agents/heartbeat", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						failed[a].Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusNoContent {
						acked[a].Add(1)
					}
				}
				time.Sleep(200 * time.Millisecond)
			}
		}(w)
	}
	time.Sleep(2 * time.Second)

	pg.Stop(t)
	down := time.Now()
	ackedBefore := int64(0)
	for a := range acked {
		ackedBefore += acked[a].Load()
	}
	sawNotReady := map[string]bool{}
	for time.Since(down) < 20*time.Second {
		for _, n := range nodes {
			start := time.Now()
			resp, err := client.Get("http://" + n.main + "/health/ready")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable {
					sawNotReady[n.main] = true
				}
			}
			req, _ := http.NewRequest("GET", "http://"+n.main+"/api/configs", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err = client.Do(req)
			if err != nil {
				t.Errorf("node %s: GET /api/configs during the outage: %v after %s", n.main, err, time.Since(start))
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// The token check is served from the cache; the list needs the
			// database.
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("node %s: GET /api/configs during the outage = %d %s, want 503", n.main, resp.StatusCode, b)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, n := range nodes {
		if !sawNotReady[n.main] {
			t.Errorf("node %s never reported not ready during the outage", n.main)
		}
	}
	ackedDuring := int64(0)
	for a := range acked {
		ackedDuring += acked[a].Load()
	}
	ackedDuring -= ackedBefore

	pg.Start(t)
	recovered := time.Now()
	apptest.Eventually(t, 60*time.Second, "every node ready again without a restart", func() bool {
		for _, n := range nodes {
			resp, err := http.Get("http://" + n.main + "/health/ready")
			if err != nil {
				return false
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return false
			}
		}
		return true
	})
	t.Logf("PostgreSQL down 20 s: %d heartbeats acknowledged during the outage; nodes ready %s after it came back",
		ackedDuring, time.Since(recovered).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	// Every acknowledged beat is written once, from memory, after the
	// outage: the totals catch up.
	apptest.Eventually(t, 60*time.Second, "every acknowledged heartbeat written", func() bool {
		for a := 0; a < agents; a++ {
			var got tcAgent
			if !tryGetJSON(lb.URL+fmt.Sprintf("/api/agents/outage-%03d", a), token, &got) || got.Statistics.TotalMetrics < acked[a].Load() {
				return false
			}
		}
		return true
	})
	for a := 0; a < agents; a++ {
		var got tcAgent
		getJSON(t, lb.URL+fmt.Sprintf("/api/agents/outage-%03d", a), token, &got)
		if max := acked[a].Load() + failed[a].Load(); got.Statistics.TotalMetrics > max {
			t.Errorf("outage-%03d: %d beats written, at most %d sent: counted twice", a, got.Statistics.TotalMetrics, max)
		}
	}
}
