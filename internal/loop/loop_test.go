package loop

import (
	"context"
	"testing"
	"time"
)

func TestKickAndStop(t *testing.T) {
	kick := make(chan struct{})
	calls := make(chan struct{}, 10)
	release := make(chan struct{})
	l := Start(time.Hour, kick, func(ctx context.Context) {
		calls <- struct{}{}
		<-release
	})
	kick <- struct{}{} // the hour-long ticker never fires in this test: the kick runs fn
	<-calls
	stopped := make(chan error)
	go func() { stopped <- l.Stop(context.Background()) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a call was running")
	default:
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := l.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	var none *Loop
	if err := none.Stop(context.Background()); err != nil {
		t.Fatalf("nil Stop: %v", err)
	}
}

func TestStopGivesUpWithItsContext(t *testing.T) {
	kick := make(chan struct{})
	running := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	l := Start(time.Hour, kick, func(ctx context.Context) {
		close(running)
		<-release // ignores ctx, as a call that must finish would
	})
	kick <- struct{}{}
	<-running
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Stop(ctx); err != context.Canceled {
		t.Fatalf("Stop with an ended context = %v, want context.Canceled", err)
	}
}
