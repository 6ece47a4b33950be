package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// TestReloadDisablesUploadsDaemon runs the daemon (in-process) over a real
// Debian pagekite under a respawning supervisor, probed through a relay
// that never sees it (kite-down on every probe), with a collector on
// 127.0.0.1. The first restart's report is uploaded; then report.enabled =
// false and SIGHUP ("config reloaded"); the next restart's report is saved
// and never uploaded.
func TestReloadDisablesUploadsDaemon(t *testing.T) {
	bin := pktest.PagekiteBinary(t)
	relayA := pktest.StartRelay(t)
	relayB := pktest.StartRelay(t)
	web := pktest.StartWebServer(t)
	var uploads atomic.Int64
	collector := pktest.StartHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64<<20))
		uploads.Add(1)
		_, _ = io.WriteString(w, "thanks\n")
	}))
	dir := t.TempDir()
	pidFile, kiteLog := filepath.Join(dir, "kite.pid"), filepath.Join(dir, "kite.log")
	name := "up." + pktest.RelayDomain
	sup := pktest.Supervise(t, append(pktest.KiteArgv(bin, relayA, kiteLog, pktest.HTTPService(name, web)), "--pidfile="+pidFile),
		pktest.SuperviseOptions{MaxRestarts: 4, Dir: dir})
	waitPID(t, pidFile, 20*time.Second)

	body := func(enabled bool) string {
		return fmt.Sprintf(`
[probe]
interval = "2s"
jitter = 0.0
timeout = "1900ms"
[policy]
failure_threshold = 1
grace_period = "1s"
cooldown = "2s"
max_cooldown = "2s"
max_restarts = 3
min_process_age = "0s"
startup_delay = "0s"
[restart]
unit = ""
diagnostics = false
pidfile = %q
kill_timeout = "5s"
respawn_timeout = "20s"
[report]
enabled = %v
url = "http://%s/cgi-bin/crashes.pl"
min_interval = "0s"
log_file = %q
`, pidFile, enabled, collector, kiteLog) + kiteEntry(name, relayB.Addr)
	}
	path := writeConfig(t, body(true))
	header := strings.TrimSuffix(readFile(t, path), body(true))

	d := runInProcess(t, path)
	out := &d.out
	waitFor := func(what string, timeout time.Duration, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(timeout); !ok(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("the first upload", 60*time.Second, func() bool { return uploads.Load() == 1 })

	if err := os.WriteFile(path, []byte(header+body(false)), 0o644); err != nil {
		t.Fatal(err)
	}
	// The daemon's signal handler is installed: SIGHUP reaches it, not
	// the test's default action.
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor("config reloaded", 10*time.Second, func() bool { return strings.Contains(out.String(), "config reloaded") })
	restarts := sup.Restarts()
	waitFor("another restart", 60*time.Second, func() bool { return sup.Restarts() > restarts })
	waitFor("its report saved", 30*time.Second, func() bool { return strings.Count(out.String(), "crash report saved") >= 2 })
	time.Sleep(2 * time.Second) // an upload would follow the save at once
	if n := uploads.Load(); n != 1 {
		t.Errorf("uploads = %d after report.enabled = false and SIGHUP, want still 1", n)
	}
	if !strings.Contains(out.String(), "crash report not uploaded: uploads disabled") {
		t.Errorf("the log does not say the report was not uploaded because uploads are off")
	}
}
