package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/discover"
	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// TestDebugLogHasNoSecret: at log_level debug the restarter logs
// PageKite's command line; through the daemon's logger (redacted) no line
// carries the kite secret, which real pagekite has on its command line
// (--service_on=...:SECRET) (#23).
func TestDebugLogHasNoSecret(t *testing.T) {
	relay := pktest.StartRelay(t)
	web := pktest.StartWebServer(t)
	name := "dbg." + relay.Domain
	kite := pktest.StartKite(t, relay, pktest.HTTPService(name, web))
	kite.WaitFlying(t, name)
	pidFile := filepath.Join(t.TempDir(), "pagekite.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(kite.PID)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Restart.PIDFile = pidFile
	cfg.Restart.DryRun = true
	cfg.Restart.Unit = ""
	cfg.Kites = []config.Kite{{Name: name}}
	obs, logs := observer.New(zap.DebugLevel)
	log := redacted(zap.New(obs))
	ins, err := discover.Instances(zap.NewNop(), &cfg, discover.System())
	if err != nil {
		t.Fatal(err)
	}
	r := newRestarter(log, ins[0])
	res := r.Restart(context.Background(), name)
	if res.Outcome != "dry-run" {
		t.Fatalf("Restart = %+v, want a dry run of pid %d", res, kite.PID)
	}
	seen := false
	for _, e := range logs.AllUntimed() {
		line := e.Message
		for k, v := range e.ContextMap() {
			line += " " + k + "=" + toText(v)
		}
		if strings.Contains(line, relay.Secret) {
			t.Errorf("a log line carries the kite secret: %s", line)
		}
		if e.Message == "pagekite command line" {
			seen = strings.Contains(line, "--service_on=http:"+name)
		}
	}
	if !seen {
		t.Errorf("no debug line with the (redacted) command line")
	}
}

func toText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}
