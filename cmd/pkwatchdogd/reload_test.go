package main

import (
	"slices"
	"testing"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/config"
)

// TestRestartNeededLastsUntilRestart: a reloaded key read only at start is
// named after every later reload, until pkwatchdogd restarts; keys that
// follow a reload are not.
func TestRestartNeededLastsUntilRestart(t *testing.T) {
	path := writeConfig(t, kiteEntry("a.kite.test", "127.0.0.1:9"))
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := assemble(zap.NewNop(), cfg)
	if err != nil {
		t.Fatalf("assemble() = %v", err)
	}
	if len(p.settings.RestartNeeded) != 0 {
		t.Errorf("RestartNeeded at start = %v, want none", p.settings.RestartNeeded)
	}
	next := *cfg
	next.Probe.Concurrency = cfg.Probe.Concurrency + 1
	next.LogLevel = "debug"
	next.Policy.MaxRestarts = 7 // follows the reload
	for i := range 2 {
		if err := p.reconfigure(zap.NewNop(), &next); err != nil {
			t.Fatalf("reconfigure() = %v", err)
		}
		want := []string{"log_level", "probe.concurrency"}
		if !slices.Equal(p.settings.RestartNeeded, want) {
			t.Errorf("reload %d: RestartNeeded = %v, want %v", i+1, p.settings.RestartNeeded, want)
		}
	}
}
