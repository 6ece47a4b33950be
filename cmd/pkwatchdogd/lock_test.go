package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// TestSecondDaemonRefused: a second daemon on the same state_dir exits 75
// (EX_TEMPFAIL) and names the first one's PID; check, status and report
// --dry-run still work beside the first; once the first stops, a new one
// starts.
func TestSecondDaemonRefused(t *testing.T) {
	web := pktest.StartWebServer(t)
	path := writeConfig(t, "[report]\nenabled = false\n"+kiteEntry("a.kite.test", web))
	status := filepath.Join(filepath.Dir(path), "state", "status.json")

	first := runInProcess(t, path)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(status); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first daemon wrote no status file")
		}
	}

	code, _, errOut := runCmd(t, "run", "--config", path)
	if code != exitLocked || !strings.Contains(errOut, "another pkwatchdogd runs on this state_dir") || !strings.Contains(errOut, fmt.Sprintf("by pid %d", os.Getpid())) {
		t.Errorf("second run = %d, %q; want %d naming pid %d", code, errOut, exitLocked, os.Getpid())
	}
	for _, args := range [][]string{
		{"check", "--config", path},
		{"status", "--config", path},
		{"report", "--config", path, "--dry-run"},
	} {
		if code, _, errOut := runCmd(t, args...); code == exitLocked || strings.Contains(errOut, "another pkwatchdogd") {
			t.Errorf("%s beside a running daemon = %d, %q; want it not to need the lock", args[0], code, errOut)
		}
	}

	first.stop(t)
	second := runInProcess(t, path)
	time.Sleep(time.Second)
	if code := second.stop(t); code != exitOK {
		t.Errorf("a daemon after the first stopped = %d, want 0", code)
	}
}

// TestMetricsListenUnusable: a metrics_listen that cannot be listened on
// stops the start with exit 78, rather than leaving metrics silently off.
func TestMetricsListenUnusable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	web := pktest.StartWebServer(t)
	// A top-level key goes before the header's tables.
	path := filepath.Join(t.TempDir(), "pkwatchdogd.toml")
	body := fmt.Sprintf("metrics_listen = %q\n", ln.Addr().String()) + statusHeader(path) +
		"[report]\nenabled = false\n" + kiteEntry("a.kite.test", web)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out lockedBuffer
	if code := run(ctx, []string{"run", "--config", path}, &out, &out); code != exitConfig || !strings.Contains(out.String(), "metrics_listen") {
		t.Errorf("run with metrics_listen in use = %d, want %d:\n%s", code, exitConfig, out.String())
	}
}

// TestReportDryRunTouchesNothing: report --dry-run writes its bundle to a
// new directory of its own and leaves state_dir as it was: no bundle
// pruned, no mode changed.
func TestReportDryRunTouchesNothing(t *testing.T) {
	web := pktest.StartWebServer(t)
	path := writeConfig(t, "[report]\nenabled = false\nkeep = 1\n"+kiteEntry("a.kite.test", web))
	reports := filepath.Join(filepath.Dir(path), "state", "reports")
	if err := os.MkdirAll(reports, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(reports, 0o755); err != nil {
		t.Fatal(err)
	}
	var old []string
	for _, name := range []string{"a.kite.test-20260101T000000Z.tar", "a.kite.test-20260102T000000Z.tar"} {
		p := filepath.Join(reports, name)
		if err := os.WriteFile(p, []byte("old bundle"), 0o600); err != nil {
			t.Fatal(err)
		}
		old = append(old, p)
	}
	code, out, errOut := runCmd(t, "report", "--config", path, "--dry-run")
	if code != exitOK {
		t.Fatalf("report --dry-run = %d, %q %q", code, out, errOut)
	}
	if strings.Contains(out, reports) {
		t.Errorf("report --dry-run wrote into state_dir: %s", out)
	}
	if first := strings.Fields(out); len(first) > 0 {
		t.Cleanup(func() { os.RemoveAll(filepath.Dir(filepath.Dir(first[0]))) })
	}
	for _, p := range old {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("report --dry-run removed %s: %v", p, err)
		}
	}
	if st, err := os.Stat(reports); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("reports dir mode after report --dry-run = %v, %v; want 0755 unchanged", st.Mode().Perm(), err)
	}
}
