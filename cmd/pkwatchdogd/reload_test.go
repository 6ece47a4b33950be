package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/report"
)

// assembled loads a config of one kite and assembles the daemon's parts
// from it, after before (if not nil) has prepared what the config points
// at.
func assembled(t *testing.T, before func(*config.Config)) (*parts, *config.Config) {
	t.Helper()
	cfg, err := config.Load(writeConfig(t, kiteEntry("a.kite.test", "127.0.0.1:9")))
	if err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(cfg)
	}
	p, err := assemble(zap.NewNop(), cfg)
	if err != nil {
		t.Fatalf("assemble() = %v", err)
	}
	t.Cleanup(p.close) // the state dir's lock
	return p, cfg
}

// TestRestartNeededLastsUntilRestart: a reloaded key read only at start is
// named after every later reload, until pkwatchdogd restarts; keys that
// follow a reload are not.
func TestRestartNeededLastsUntilRestart(t *testing.T) {
	p, cfg := assembled(t, nil)
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

// TestReloadDisablesUploads: report.enabled = false applied by a reload
// stops uploads at once; enabled again, they resume. Nothing is sent: the
// uploader is only built, and a disabled one refuses before any request.
func TestReloadDisablesUploads(t *testing.T) {
	p, cfg := assembled(t, nil)
	if p.uploader.u.Load() == nil {
		t.Fatal("uploader at start = nil, want one (report.enabled defaults to true)")
	}
	off := *cfg
	off.Report.Enabled = false
	if err := p.reconfigure(zap.NewNop(), &off); err != nil {
		t.Fatalf("reconfigure() = %v", err)
	}
	if _, err := p.uploader.Upload(context.Background(), report.Bundle{Kite: "a.kite.test"}); !errors.Is(err, report.ErrUploadsOff) {
		t.Errorf("Upload() after reloading report.enabled = false: %v, want %v", err, report.ErrUploadsOff)
	}
	if err := p.reconfigure(zap.NewNop(), cfg); err != nil {
		t.Fatalf("reconfigure() = %v", err)
	}
	if p.uploader.u.Load() == nil {
		t.Error("uploader after reloading report.enabled = true = nil, want one")
	}
}

// TestAssembleCarriesVersion1State: restarts recorded by the version that
// keyed them by kite count for the one instance.
func TestAssembleCarriesVersion1State(t *testing.T) {
	p, _ := assembled(t, func(cfg *config.Config) {
		if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
			t.Fatal(err)
		}
		recent := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		v1 := fmt.Sprintf(`{"version": 1, "restarts": {"a.kite.test": [%q], "b.kite.test": [%q]}, "upload": {}}`, recent, recent)
		if err := os.WriteFile(filepath.Join(cfg.StateDir, "ratelimit.json"), []byte(v1), 0o600); err != nil {
			t.Fatal(err)
		}
	})
	if got := p.budget.RestartsInWindow(config.DefaultInstance, time.Now()); got != 2 {
		t.Errorf("restarts of %s after the carry-over = %d, want the 2 of version 1", config.DefaultInstance, got)
	}
}

// TestUnusableConfigWritesNothing: run with a config it cannot use (no
// kites anywhere) exits 78 before it creates the state dir or the
// rate-limit file.
func TestUnusableConfigWritesNothing(t *testing.T) {
	path := writeConfig(t, "") // discovery points at a directory that does not exist
	if code, _, _ := runCmd(t, "run", "--config", path); code != exitConfig {
		t.Fatalf("run = %d, want %d", code, exitConfig)
	}
	state := filepath.Join(filepath.Dir(path), "state")
	if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir after a refused start: %v, want none created", err)
	}
}

// TestMetricsListenerDefersAccept: the metrics port the daemon opens
// holds back connections that sent nothing (TCP_DEFER_ACCEPT, as
// oneshot.Listen sets it), so that a scrape under a flood is not cut
// before its request came.
func TestMetricsListenerDefersAccept(t *testing.T) {
	p, _ := assembled(t, func(cfg *config.Config) { cfg.MetricsListen = "127.0.0.1:0" })
	if p.metricsLn == nil {
		t.Fatal("no metrics listener with metrics_listen set")
	}
	rc, err := p.metricsLn.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var secs int
	var optErr error
	if err := rc.Control(func(fd uintptr) {
		secs, optErr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT)
	}); err != nil || optErr != nil {
		t.Fatalf("getsockopt(TCP_DEFER_ACCEPT) = %v, %v", err, optErr)
	}
	if secs <= 0 {
		t.Errorf("TCP_DEFER_ACCEPT on the metrics listener = %d, want it on", secs)
	}
}
