// Package loop runs background work on a timer: the status sweep, the
// heartbeat flush, the token-use writer and the session sweep all share its
// one start/stop shape.
package loop

import (
	"context"
	"time"
)

// Loop calls a function every interval, one call at a time, until Stop.
type Loop struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Start calls fn every interval, and also whenever a value arrives on kick
// (nil for none), until Stop. After SetNice the calls run on a thread of
// the loop's own at that nice value. fn receives a context cancelled by
// Stop; work that must finish even then uses context.WithoutCancel.
func Start(interval time.Duration, kick <-chan struct{}, fn func(ctx context.Context)) *Loop {
	ctx, cancel := context.WithCancel(context.Background())
	l := &Loop{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		lowerThisThread()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-kick:
			}
			background(func() { fn(ctx) })
		}
	}()
	return l
}

// Stop cancels the loop's context and waits for a running call to return,
// or for ctx to end. Stopping a nil or stopped Loop is a no-op.
func (l *Loop) Stop(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.cancel()
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
