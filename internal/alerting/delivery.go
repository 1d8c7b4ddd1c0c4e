package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/loop"
	"github.com/telegrafcontroller/tc/internal/notify"
	"github.com/telegrafcontroller/tc/internal/store"
)

// Delivery defaults (docs/alerts.md, "Outbox and retries"): a failed
// message is tried again after 10 s, doubling to at most 10 min between
// attempts, or after the receiver's Retry-After (at most an hour); after
// 20 attempts (about two and a half hours) it is given up as failed.
const (
	DefaultPoll          = time.Second
	DefaultBackoffMin    = 10 * time.Second
	DefaultBackoffMax    = 10 * time.Minute
	DefaultRetryAfterMax = time.Hour
	DefaultMaxAttempts   = 20
	DefaultSendTimeout   = 30 * time.Second
	deliveryBatch        = 50
)

// Deliverer sends the outbox's due messages through Dispatcher. Tests call
// Tick instead of waiting.
type Deliverer struct {
	Store      *store.Store
	Dispatcher notify.Dispatcher
	Logger     *slog.Logger
	Now        func() time.Time
	Leader     Leader // nil outside a cluster
	Metrics    *Metrics
	// ChannelKind names a channel's kind for the metrics' labels ("" when
	// unknown).
	ChannelKind func(ctx context.Context, id string) string

	Poll                       time.Duration
	BackoffMin, BackoffMax     time.Duration
	RetryAfterMax, SendTimeout time.Duration
	MaxAttempts                int

	mu   sync.Mutex // one pass at a time
	kick chan struct{}
	loop *loop.Loop
}

func (d *Deliverer) defaults() {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Metrics == nil {
		d.Metrics = NewMetrics(nil)
	}
	for _, v := range []struct {
		p   *time.Duration
		def time.Duration
	}{{&d.Poll, DefaultPoll}, {&d.BackoffMin, DefaultBackoffMin}, {&d.BackoffMax, DefaultBackoffMax},
		{&d.RetryAfterMax, DefaultRetryAfterMax}, {&d.SendTimeout, DefaultSendTimeout}} {
		if *v.p <= 0 {
			*v.p = v.def
		}
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = DefaultMaxAttempts
	}
}

// Start runs Tick every Poll, and at once after Wake, until Stop.
func (d *Deliverer) Start() {
	d.defaults()
	d.kick = make(chan struct{}, 1)
	d.loop = loop.Start(d.Poll, d.kick, func(ctx context.Context) { d.Tick(ctx) })
}

// Wake asks for a pass now (the engine queued messages). It never blocks.
func (d *Deliverer) Wake() {
	if d.kick == nil {
		return
	}
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Stop ends the loop and waits for a running pass; a message being sent
// then is sent again by the next leader or start, under the same key.
func (d *Deliverer) Stop(ctx context.Context) error { return d.loop.Stop(ctx) }

// Tick sends every due message once, each channel's on its own goroutine,
// and returns how many it sent. On a follower it does nothing and returns
// store.ErrNotLeader.
func (d *Deliverer) Tick(ctx context.Context) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.defaults()
	var fence *store.Fence
	if d.Leader != nil {
		f, _, ok := d.Leader.Fence()
		if !ok {
			return 0, store.ErrNotLeader
		}
		fence = f
	}
	sent := 0
	for {
		due, err := d.Store.DueNotifications(ctx, d.Now(), deliveryBatch)
		if err != nil {
			return sent, err
		}
		if len(due) == 0 {
			break
		}
		byChannel := map[string][]store.OutboxItem{}
		for _, it := range due {
			byChannel[it.ChannelID] = append(byChannel[it.ChannelID], it)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var errs []error
		progress := 0
		for ch, items := range byChannel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				kind := ""
				if d.ChannelKind != nil {
					kind = d.ChannelKind(ctx, ch)
				}
				for _, it := range items {
					ok, err := d.deliver(ctx, fence, it, kind)
					mu.Lock()
					if ok {
						sent++
					}
					if err != nil {
						errs = append(errs, err)
					} else {
						progress++
					}
					mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			d.gauge(ctx)
			return sent, err
		}
		if progress == 0 {
			break // nothing recorded: read again at the next pass
		}
		// Read again: a channel's next message for a rule is due once the
		// one before it went.
	}
	d.gauge(ctx)
	return sent, nil
}

// deliver sends one item and records the attempt. It reports whether the
// message went, and an error only when the attempt could not be recorded
// (the database, or leadership, was lost): the item is then sent again
// later under the same key.
func (d *Deliverer) deliver(ctx context.Context, fence *store.Fence, it store.OutboxItem, kind string) (bool, error) {
	var m notify.Message
	if err := json.Unmarshal(it.Payload, &m); err != nil {
		return false, d.Store.RecordDelivery(ctx, fence, it, store.Attempt{Outcome: tc.DeliveryFailed, Error: "unreadable payload: " + err.Error()})
	}
	m.IdempotencyKey = it.Key
	sctx, cancel := context.WithTimeout(ctx, d.SendTimeout)
	start := time.Now()
	err := d.Dispatcher.Send(sctx, it.ChannelID, m)
	took := time.Since(start)
	cancel()
	if err != nil && ctx.Err() != nil {
		return false, ctx.Err() // stopping: not an attempt of the receiver's
	}
	a := store.Attempt{Outcome: tc.DeliverySent, Duration: took}
	if err != nil {
		a.Error = err.Error()
		retry, after := notify.RetryAfter(err)
		attempt := it.Attempts + 1
		switch {
		case !retry:
			a.Outcome = tc.DeliveryFailed
		case attempt >= d.MaxAttempts:
			a.Outcome, a.Error = tc.DeliveryFailed, fmt.Sprintf("gave up after %d attempts: %s", attempt, a.Error)
		default:
			a.Outcome = tc.DeliveryRetry
			wait := after
			if wait <= 0 {
				wait = d.backoff(attempt)
			}
			a.Next = d.Now().Add(min(wait, d.RetryAfterMax))
		}
	}
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer rcancel()
	if err := d.Store.RecordDelivery(rctx, fence, it, a); err != nil {
		if ctx.Err() == nil {
			d.Logger.Error("record notification delivery", "notification", it.ID, "channel", it.ChannelID, "error", err)
		}
		return false, err
	}
	switch a.Outcome {
	case tc.DeliverySent:
		d.Metrics.Sent.WithLabelValues(kind).Inc()
		d.Logger.Info("notification sent", "notification", it.ID, "channel", it.ChannelID, "rule", it.RuleID,
			"status", it.Status, "attempt", it.Attempts+1, "duration_ms", took.Milliseconds())
	case tc.DeliveryFailed:
		d.Metrics.Failed.WithLabelValues(kind).Inc()
		d.Logger.Warn("notification failed for good", "notification", it.ID, "channel", it.ChannelID, "rule", it.RuleID,
			"attempt", it.Attempts+1, "error", a.Error)
	default:
		d.Metrics.Retries.WithLabelValues(kind).Inc()
		d.Logger.Warn("notification failed; retrying", "notification", it.ID, "channel", it.ChannelID, "rule", it.RuleID,
			"attempt", it.Attempts+1, "retry_at", a.Next.UTC().Format(time.RFC3339), "error", a.Error)
	}
	return a.Outcome == tc.DeliverySent, nil
}

// backoff is the wait after the attempt-th failure: BackoffMin doubling
// up to BackoffMax.
func (d *Deliverer) backoff(attempt int) time.Duration {
	w := d.BackoffMin
	for i := 1; i < attempt && w < d.BackoffMax; i++ {
		w *= 2
	}
	return min(w, d.BackoffMax)
}

// gauge sets tc_notifications_queued from the outbox.
func (d *Deliverer) gauge(ctx context.Context) {
	q, err := d.Store.QueuedNotifications(ctx)
	if err != nil {
		return
	}
	var n int64
	for _, v := range q {
		n += v
	}
	d.Metrics.Queued.Set(float64(n))
}

// Metrics are the notifications' series (docs/alerts.md, "Metrics").
type Metrics struct {
	Sent    *prometheus.CounterVec
	Failed  *prometheus.CounterVec
	Retries *prometheus.CounterVec
	Queued  prometheus.Gauge
}

// NewMetrics builds the series and registers them with reg (if not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tc_notifications_sent_total",
			Help: "Alert notifications a channel took, by channel kind.",
		}, []string{"kind"}),
		Failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tc_notifications_failed_total",
			Help: "Alert notifications given up, by channel kind: refused for good, or out of attempts.",
		}, []string{"kind"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tc_notification_retries_total",
			Help: "Failed attempts at alert notifications that are tried again, by channel kind.",
		}, []string{"kind"}),
		Queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tc_notifications_queued",
			Help: "Alert notifications waiting in the outbox, as of the delivery worker's last pass (leader only).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Sent, m.Failed, m.Retries, m.Queued)
	}
	return m
}
