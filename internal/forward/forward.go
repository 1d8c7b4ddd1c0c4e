// Package forward sends the audit log to outside destinations: a syslog
// server (syslog.go), a webhook (webhook.go) and a JSONL file (file.go)
// (docs/audit.md, "Forwarders").
//
// A forwarder never sits on a request's path. Each one tails the audit log
// in the database by seq from a cursor stored there (store.AuditForwarderSeq):
// it is woken when this node appends entries (Runner.Wake, hooked to
// store.OnAudit) and polls slowly for the entries other nodes of a cluster
// append. What a destination misses while it is down stays in the log and is
// sent once it is back, in order. The cursor moves only past entries
// delivered (or refused for good, and counted), so delivery is at least
// once: an entry in flight when the process dies is sent again.
package forward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/telegrafcontroller/tc"
)

// Sink is one destination.
type Sink interface {
	// Deliver sends e. An error wrapping ErrRefused means the destination
	// refused it for good: it is counted as dropped and not sent again.
	// Any other error leaves e and the entries after it in the log, to be
	// sent again later.
	Deliver(ctx context.Context, e tc.AuditEntry) error
	// Flush makes what Deliver sent durable where the destination allows
	// (the file is synced) before the cursor moves past it.
	Flush() error
	Close() error
}

// ErrRefused marks an entry a destination refused for good (a webhook's
// 4xx other than 408 and 429; a message too long for a UDP datagram).
var ErrRefused = errors.New("refused by the destination")

// Log is the audit log as the forwarders read it (*store.Store).
type Log interface {
	AuditEntriesAfter(ctx context.Context, seq int64, limit int) ([]tc.AuditEntry, error)
	AuditHeadSeq(ctx context.Context) (int64, error)
	AuditForwarderSeq(ctx context.Context, name string) (int64, error)
	SetAuditForwarderSeq(ctx context.Context, name string, seq int64) error
}

// Forwarder is a named destination; the name keys its cursor and its
// metrics (syslog, webhook, file).
type Forwarder struct {
	Name string
	Sink Sink
}

// Runner runs each forwarder on its own goroutine, so that one that is
// down delays no other.
type Runner struct {
	Log        Log
	Forwarders []Forwarder
	// Leader reports whether this node forwards: only a cluster's leader
	// does (nil: always).
	Leader  func() bool
	Logger  *slog.Logger
	Metrics *Metrics
	// Poll is how often the log is read without a wake-up (entries other
	// nodes appended, a leadership gained); 5 s by default.
	Poll time.Duration
	// Batch is how many entries are read, sent, and then recorded by one
	// move of the cursor; 500 by default.
	Batch int
	// RetryMin and RetryMax bound the wait before a failed destination is
	// tried again, doubling from one to the other (1 s and 1 min by
	// default). Wake-ups do not shorten it.
	RetryMin, RetryMax time.Duration

	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex // guards wakes: Wake may be called before Start
	wakes  []chan struct{}
}

// Start starts one goroutine per forwarder.
func (r *Runner) Start() {
	if r.Poll <= 0 {
		r.Poll = 5 * time.Second
	}
	if r.Batch <= 0 {
		r.Batch = 500
	}
	if r.RetryMin <= 0 {
		r.RetryMin = time.Second
	}
	if r.RetryMax < r.RetryMin {
		r.RetryMax = max(time.Minute, r.RetryMin)
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if r.Metrics == nil {
		r.Metrics = NewMetrics(nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	for _, f := range r.Forwarders {
		wake := make(chan struct{}, 1)
		r.mu.Lock()
		r.wakes = append(r.wakes, wake)
		r.mu.Unlock()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.run(ctx, &cursor{Forwarder: f, logger: r.Logger.With("forwarder", f.Name)}, wake)
		}()
	}
}

// Wake tells every forwarder that entries were appended. It never blocks:
// call it from store.OnAudit.
func (r *Runner) Wake() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.wakes {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// Close stops the forwarders, recording how far each got, and closes the
// destinations. An entry being sent when Close is called is sent again at
// the next start.
func (r *Runner) Close(ctx context.Context) error {
	if r.cancel == nil {
		return nil
	}
	r.cancel()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("stop the audit forwarders: %w", ctx.Err())
	}
	var errs []error
	for _, f := range r.Forwarders {
		if err := f.Sink.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close the %s audit forwarder: %w", f.Name, err))
		}
	}
	return errors.Join(errs...)
}

// cursor is one forwarder's position: seq is the last entry dealt with,
// saved the last recorded in the database, both read from it first
// (loaded); failing while its destination fails.
type cursor struct {
	Forwarder
	logger  *slog.Logger
	seq     int64
	saved   int64
	loaded  bool
	failing bool
}

func (r *Runner) run(ctx context.Context, c *cursor, wake <-chan struct{}) {
	backoff := time.Duration(0)
	for {
		wait := r.Poll
		if r.Leader != nil && !r.Leader() {
			c.loaded, backoff = false, 0 // another leader may move the cursor meanwhile
		} else {
			if err := r.pass(ctx, c); err != nil {
				if ctx.Err() != nil {
					return
				}
				backoff = min(max(2*backoff, r.RetryMin), r.RetryMax)
				wait = backoff
				if !c.failing {
					c.logger.Warn("audit forwarding failed; retrying from the log", "error", err, "retry_in", backoff.String())
				} else {
					c.logger.Debug("audit forwarding failed again", "error", err, "retry_in", backoff.String())
				}
				c.failing = true
			} else {
				if c.failing {
					c.logger.Info("audit forwarding resumed", "seq", c.seq)
				}
				c.failing, backoff = false, 0
			}
		}
		t := time.NewTimer(wait)
		w := wake
		if backoff > 0 {
			w = nil // a failing destination is not hammered on every append
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-w:
			t.Stop()
		}
	}
}

// pass sends everything after the cursor, a batch at a time, and records
// the cursor after each batch. It returns nil once caught up.
func (r *Runner) pass(ctx context.Context, c *cursor) error {
	name := c.Name
	if !c.loaded {
		seq, err := r.Log.AuditForwarderSeq(ctx, name)
		if err != nil {
			return err
		}
		c.seq, c.saved, c.loaded = seq, seq, true
	}
	for {
		entries, err := r.Log.AuditEntriesAfter(ctx, c.seq, r.Batch)
		if err != nil {
			return err
		}
		if len(entries) > 0 && entries[0].Seq > c.seq+1 {
			// Retention removed them before they were forwarded.
			n := entries[0].Seq - c.seq - 1
			r.Metrics.Dropped.WithLabelValues(name, "pruned").Add(float64(n))
			c.logger.Warn("audit entries were removed by retention before they were forwarded", "from_seq", c.seq+1, "to_seq", entries[0].Seq-1)
		}
		var sendErr error
		for _, e := range entries {
			err := c.Sink.Deliver(ctx, e)
			switch {
			case err == nil:
				r.Metrics.Forwarded.WithLabelValues(name).Inc()
			case errors.Is(err, ErrRefused):
				r.Metrics.Dropped.WithLabelValues(name, "refused").Inc()
				c.logger.Warn("audit entry refused by the destination; dropped", "seq", e.Seq, "action", e.Action, "error", err)
			default:
				sendErr = err
			}
			if sendErr != nil {
				r.Metrics.Failures.WithLabelValues(name).Inc()
				break
			}
			c.seq = e.Seq
		}
		if err := r.save(ctx, c); err != nil {
			return err
		}
		r.lag(ctx, c)
		if sendErr != nil {
			return sendErr
		}
		if len(entries) < r.Batch {
			return nil
		}
	}
}

// save flushes the destination and records the cursor, even while
// stopping.
func (r *Runner) save(ctx context.Context, c *cursor) error {
	if c.seq == c.saved {
		return nil
	}
	if err := c.Sink.Flush(); err != nil {
		c.seq = c.saved // sent again: at least once
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := r.Log.SetAuditForwarderSeq(ctx, c.Name, c.seq); err != nil {
		return err
	}
	c.saved = c.seq
	return nil
}

func (r *Runner) lag(ctx context.Context, c *cursor) {
	if head, err := r.Log.AuditHeadSeq(ctx); err == nil {
		r.Metrics.Lag.WithLabelValues(c.Name).Set(float64(max(head-c.seq, 0)))
	}
}

// Metrics are the forwarders' series, labelled by forwarder.
type Metrics struct {
	Forwarded *prometheus.CounterVec
	Failures  *prometheus.CounterVec
	Dropped   *prometheus.CounterVec
	Lag       *prometheus.GaugeVec
}

// NewMetrics builds the series and registers them with reg (if not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Forwarded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tc_audit_forwarded_total",
			Help: "Audit entries delivered, by forwarder (syslog, webhook, file).",
		}, []string{"forwarder"}),
		Failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tc_audit_forward_failures_total",
			Help: "Failed deliveries of audit entries, by forwarder; each is sent again from the log.",
		}, []string{"forwarder"}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tc_audit_forward_dropped_total",
			Help: "Audit entries never delivered, by forwarder and reason: refused (a webhook's 4xx, a message too long for UDP) or pruned (removed by retention first).",
		}, []string{"forwarder", "reason"}),
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tc_audit_forward_lag_entries",
			Help: "Audit entries appended but not yet delivered, by forwarder, as of its last pass.",
		}, []string{"forwarder"}),
	}
	if reg != nil {
		reg.MustRegister(m.Forwarded, m.Failures, m.Dropped, m.Lag)
	}
	return m
}
