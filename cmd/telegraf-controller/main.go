// Command telegraf-controller is the control plane for a fleet of Telegraf
// agents. main only handles signals and exit codes; internal/app does the rest.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/telegrafcontroller/tc/internal/app"
)

func main() {
	m := app.NewMain()
	if err := m.ParseFlags(os.Args[1:], os.Stdout); errors.Is(err, app.ErrHelp) {
		return
	} else if errors.Is(err, app.ErrVersion) {
		fmt.Println("telegraf-controller", app.Version)
		return
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "telegraf-controller:", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "telegraf-controller:", err)
		m.Close()
		os.Exit(1)
	}
	exit := 0
	select {
	case <-ctx.Done():
		m.Logger.Info("shutting down")
	case err := <-m.Done():
		m.Logger.Error("shutting down after a listener failure", "error", err)
		exit = 1
	}
	stop()
	if err := m.Close(); err != nil {
		m.Logger.Error("shutdown incomplete", "error", err)
		exit = 1
	}
	os.Exit(exit)
}
