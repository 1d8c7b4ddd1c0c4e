package serves_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/apptest"
	"github.com/telegrafcontroller/tc/internal/metrics"
	"github.com/telegrafcontroller/tc/internal/serves"
	"github.com/telegrafcontroller/tc/internal/store"
)

func mustStore(t *testing.T, db apptest.DB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), apptest.NewDSN(t, db), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// counter reads tc_config_serves_total{result}.
func counter(t *testing.T, m *metrics.Metrics, result string) float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "tc_config_serves_total" {
			continue
		}
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return mt.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestRecorderWritesOffTheRequestPath queues serves in memory, writes
// nothing until a flush, drops what exceeds the queue (counted), and
// writes the rest at Close: secrets masked in the URL and parameters, the
// agent_id and the digest taken out.
func TestRecorderWritesOffTheRequestPath(t *testing.T) {
	apptest.ForEachDB(t, func(t *testing.T, db apptest.DB) {
		ctx := context.Background()
		s := mustStore(t, db)
		m := metrics.New()
		r := &serves.Recorder{Store: s, Metrics: m, Interval: time.Hour, MaxQueue: 3}
		r.Start()
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		serve := func(ip string, at time.Time) serves.Serve {
			return serves.Serve{Kind: tc.ServeConfig, SourceID: "cfg", Version: 2, LastModified: at.Add(-time.Hour), ETag: `"abc123"`,
				Path: "/api/configs/cfg/toml", RawQuery: "agent_id=w1&password=hunter2", TokenID: "tok", ClientIP: ip,
				Telegraf: true, At: at}
		}
		for i := range 5 {
			r.Record(serve(fmt.Sprintf("10.0.0.%d", 9-i), at.Add(time.Duration(i)*time.Second)))
		}
		// Like serves within one flush are one record with a count.
		r.Record(serve("10.0.0.9", at.Add(10*time.Second)))
		r.Record(serve("10.0.0.9", at.Add(5*time.Second)))
		r.Watch("/api/configs/cfg/toml", "", "agent_id=w1&password=hunter2", "10.0.0.9", at)
		if got, _ := s.ConfigServes(ctx, "cfg", 10); len(got) != 0 {
			t.Fatalf("%d serves written before a flush", len(got))
		}
		if err := r.Close(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := s.ConfigServes(ctx, "cfg", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%d serves written, want 3", len(got))
		}
		v := got[0]
		if !v.At.Equal(at.Add(10*time.Second)) || v.Count != 3 {
			t.Errorf("coalesced serve at %v, count %d", v.At, v.Count)
		}
		if v.URL != "/api/configs/cfg/toml?agent_id=w1&password=xxxxx" || v.AgentID != "w1" || v.Digest != "abc123" ||
			v.Version != 2 || !v.Telegraf || v.ClientIP != "10.0.0.9" || v.TokenID != "tok" ||
			len(v.Params) != 2 || v.Params[1] != (tc.ServeParam{Name: "password", Value: tc.MaskedValue, Masked: true}) {
			t.Errorf("serve %+v", v)
		}
		for result, want := range map[string]float64{"recorded": 5, "dropped": 2, "heads": 1} {
			if got := counter(t, m, result); got != want {
				t.Errorf("%s: %v, want %v", result, got, want)
			}
		}
		// Closed: nothing more is queued.
		r.Record(serves.Serve{SourceID: "cfg", At: at})
		if err := r.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ConfigServes(ctx, "cfg", 10); len(got) != 3 {
			t.Errorf("%d serves after Close", len(got))
		}
	})
}
