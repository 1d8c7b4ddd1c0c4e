package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc/internal/apptest"
)

// TestClusterChangesBehindHAProxy runs three --ha controller processes
// behind HAProxy. A token revoked through the load balancer is refused by
// every node on the very next request after the revoking call returned
// (1,000 revocations; the call's latency, which includes every node's
// confirmation, is logged as p50/p99/max); a config edited through the load
// balancer is served by every node with the new TOML and one, newer
// Last-Modified.
func TestClusterChangesBehindHAProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a cluster")
	}
	apptest.RequirePostgres(t)
	apptest.RequireHAProxy(t)
	bin := buildBinary(t)
	dsn := apptest.NewDSN(t, apptest.DB{Name: "postgres"})
	nodes, lb, admin := startProcessCluster(t, bin, dsn)
	client := &http.Client{Timeout: 10 * time.Second}
	do := func(method, url, token string, body any) (*http.Response, []byte) {
		t.Helper()
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = strings.NewReader(string(b))
		}
		req, _ := http.NewRequest(method, url, r)
		req.Header.Set("Authorization", "Bearer "+token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	// everywhere asks every node directly, then the load balancer.
	everywhere := func(path string) []string {
		var urls []string
		for _, n := range nodes {
			urls = append(urls, "http://"+n.main+path)
		}
		return append(urls, lb.URL+path)
	}

	const revocations = 1000
	calls := make([]time.Duration, 0, revocations)
	for round := range revocations {
		resp, body := do("POST", lb.URL+"/api/tokens", admin, map[string]any{"description": fmt.Sprintf("victim %d", round), "preset": "full-access"})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("round %d: create token: %d %s", round, resp.StatusCode, body)
		}
		var victim struct{ ID, Token string }
		if err := json.Unmarshal(body, &victim); err != nil || victim.ID == "" || victim.Token == "" {
			t.Fatalf("round %d: create token: %v %s", round, err, body)
		}
		for _, u := range everywhere("/api/configs") { // every node caches the token
			if resp, body := do("GET", u, victim.Token, nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("round %d: before revocation, GET %s: %d %s", round, u, resp.StatusCode, body)
			}
		}
		start := time.Now()
		if resp, body := do("POST", lb.URL+"/api/tokens/"+victim.ID+"/revoke", admin, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("round %d: revoke: %d %s", round, resp.StatusCode, body)
		}
		calls = append(calls, time.Since(start))
		for _, u := range everywhere("/api/configs") {
			if resp, body := do("GET", u, victim.Token, nil); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("round %d: right after the revocation returned, GET %s: %d %s; want 401", round, u, resp.StatusCode, body)
			}
		}
	}
	slices.Sort(calls)
	t.Logf("%d revocations through HAProxy, each refused by all three nodes on the next request; the revoking call (commit, delivery, every node's confirmation): p50 %v, p99 %v, max %v",
		revocations, calls[len(calls)/2].Round(10*time.Microsecond), calls[len(calls)*99/100].Round(10*time.Microsecond), calls[len(calls)-1].Round(10*time.Microsecond))

	resp, body := do("POST", lb.URL+"/api/configs", admin, map[string]any{"name": "edited", "toml": "[[inputs.cpu]]\n"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create config: %d %s", resp.StatusCode, body)
	}
	var cfg struct{ ID string }
	json.Unmarshal(body, &cfg)
	served := func(want string) string {
		t.Helper()
		var lastModified string
		for i, u := range everywhere("/api/configs/" + cfg.ID + "/toml") {
			resp, body := do("GET", u, admin, nil)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
				t.Fatalf("GET %s: %d %q; want 200 with %s", u, resp.StatusCode, body, want)
			}
			lm := resp.Header.Get("Last-Modified")
			if i > 0 && lm != lastModified {
				t.Fatalf("GET %s: Last-Modified %q, another node %q", u, lm, lastModified)
			}
			lastModified = lm
		}
		return lastModified
	}
	before := served("inputs.cpu")
	for _, plugin := range []string{"inputs.mem", "inputs.disk", "inputs.net"} {
		time.Sleep(1100 * time.Millisecond) // Last-Modified counts seconds
		if resp, body := do("PATCH", lb.URL+"/api/configs/"+cfg.ID, admin, map[string]any{"toml": "[[" + plugin + "]]\n"}); resp.StatusCode != http.StatusOK {
			t.Fatalf("edit config: %d %s", resp.StatusCode, body)
		}
		after := served(plugin)
		b, errB := http.ParseTime(before)
		a, errA := http.ParseTime(after)
		if errA != nil || errB != nil || !a.After(b) {
			t.Fatalf("Last-Modified %q after the edit, %q before: want a newer one", after, before)
		}
		before = after
	}
}
