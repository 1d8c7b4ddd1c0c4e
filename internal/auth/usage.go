package auth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/telegrafcontroller/tc"
	"github.com/telegrafcontroller/tc/internal/loop"
)

// UsageInterval is how often, at most, a token's lastUsedAt is written.
const UsageInterval = time.Minute

// usageRecorder holds lastUsedAt values waiting to be written. Requests only
// add to the map (at most once a minute per token, decided by an atomic on
// the cache entry); a background writer empties it into the store.
type usageRecorder struct {
	mu      sync.Mutex
	pending map[string]time.Time
}

// markUsed records that e's token was used at now, unless it was recorded
// less than UsageInterval ago.
func (a *Authenticator) markUsed(e *tokenEntry, now time.Time) {
	n := now.UnixMilli()
	last := e.lastUsed.Load()
	if n-last < UsageInterval.Milliseconds() || !e.lastUsed.CompareAndSwap(last, n) {
		return
	}
	a.usage.mu.Lock()
	if a.usage.pending == nil {
		a.usage.pending = map[string]time.Time{}
	}
	a.usage.pending[e.tokenID] = now
	a.usage.mu.Unlock()
}

// lastUsedMS is the latest known use of tok, pending writes included, so that
// a refilled cache entry does not record the same minute twice.
func (a *Authenticator) lastUsedMS(tok *tc.Token) int64 {
	var last int64
	if tok.LastUsedAt != nil {
		last = tok.LastUsedAt.UnixMilli()
	}
	a.usage.mu.Lock()
	defer a.usage.mu.Unlock()
	if p, ok := a.usage.pending[tok.ID]; ok && p.UnixMilli() > last {
		last = p.UnixMilli()
	}
	return last
}

// FlushUsage writes the pending lastUsedAt values to the store. On failure
// they are kept for the next flush (unless a newer use replaced them).
func (a *Authenticator) FlushUsage(ctx context.Context) error {
	a.usage.mu.Lock()
	batch := a.usage.pending
	a.usage.pending = nil
	a.usage.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := a.Tokens.TouchTokens(ctx, batch)
	if err != nil {
		a.usage.mu.Lock()
		if a.usage.pending == nil {
			a.usage.pending = map[string]time.Time{}
		}
		for id, t := range batch {
			if p, ok := a.usage.pending[id]; !ok || p.Before(t) {
				a.usage.pending[id] = t
			}
		}
		a.usage.mu.Unlock()
	}
	return err
}

// StartUsageWriter flushes pending lastUsedAt values every interval until
// the returned loop stops. The owner flushes once more after stopping it
// (Main.OnClose).
func (a *Authenticator) StartUsageWriter(interval time.Duration, logger *slog.Logger) *loop.Loop {
	return loop.Start(interval, nil, func(ctx context.Context) {
		if err := a.FlushUsage(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("record token use", "error", err)
		}
	})
}
