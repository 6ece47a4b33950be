package report

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestJournalArgs runs a stand-in journalctl, a shell script that records
// its arguments and prints journal lines: a fake, because there is no
// journald to write test entries into here and the test must see the exact
// command line. TestJournalReal runs the real journalctl.
func TestJournalArgs(t *testing.T) {
	dir := t.TempDir()
	argsFile := filepath.Join(dir, "args")
	envFile := filepath.Join(dir, "env")
	script := filepath.Join(dir, "journalctl")
	// Under systemd the daemon has these; journalctl must not inherit them.
	t.Setenv("NOTIFY_SOCKET", "/run/systemd/notify")
	t.Setenv("WATCHDOG_USEC", "60000000")
	body := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + argsFile + "\n" +
		"env | grep -E '^(NOTIFY_SOCKET|WATCHDOG_)' > " + envFile + "\n" +
		"echo '2026-11-23T23:39:00+0000 box pagekite[42]: ts=1; t=2026-11-23T23:39:00; ll=0; started=/usr/bin/pagekite; version=1.5.2.201011; argv=--service_on=http:k:127.0.0.1:80:JournalSecret1'\n" +
		"echo '2026-11-23T23:39:30+0000 box pagekite[42]: ts=2; t=2026-11-23T23:39:30; ll=1; remote_ip=198.51.100.7'\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	b := newTestBuilder(t, Options{JournalUnit: "pagekite.service", Journalctl: script, LogLines: 77}, nil)
	bundle, err := b.Build(context.Background(), Input{Kite: "k", At: t0, LastFlying: t0.Add(-time.Minute)})
	if err != nil {
		t.Fatalf("Build() error = %v", err)
	}
	args, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	since := "@" + strconv.FormatInt(t0.Add(-time.Minute-windowMargin).Unix(), 10)
	want := strings.Join([]string{"-u", "pagekite.service", "-o", "short-iso", "--no-pager", "-n", "77", "--since", since}, "\n") + "\n"
	if string(args) != want {
		t.Errorf("journalctl args = %q, want %q", args, want)
	}
	if env, err := os.ReadFile(envFile); err != nil || len(env) != 0 {
		t.Errorf("journalctl's environment held %q (%v), want no NOTIFY_SOCKET or WATCHDOG_*", env, err)
	}
	members, raw := readBundle(t, bundle.Path)
	log := string(members[LogMember])
	if strings.Count(log, "\n") != 2 || strings.Contains(string(raw), "JournalSecret1") || strings.Contains(log, "198.51.100.7") {
		t.Errorf("bundle log = %q, want 2 redacted lines", log)
	}
	var rep struct {
		PageKite PageKiteInfo `json:"pagekite"`
		Log      logJSON      `json:"log"`
	}
	if err := json.Unmarshal(members[JSONMember], &rep); err != nil {
		t.Fatal(err)
	}
	if rep.PageKite.Version != "1.5.2.201011" || rep.Log.Source != "journal:pagekite.service" || rep.Log.Error != "" {
		t.Errorf("report.json = %+v, want version from the journal and no error", rep)
	}
}

func TestJournalMissing(t *testing.T) {
	b := newTestBuilder(t, Options{JournalUnit: "pagekite.service", Journalctl: filepath.Join(t.TempDir(), "no-journalctl")}, nil)
	h, err := b.collectLog(context.Background(), Input{}, time.Time{})
	if !errors.Is(err, ErrNoJournalctl) || len(h.lines) != 0 {
		t.Errorf("collectLog() = %d lines, %v, want ErrNoJournalctl", len(h.lines), err)
	}
	if _, err := b.Build(context.Background(), Input{Kite: "k", At: t0}); err != nil {
		t.Errorf("Build() without journalctl error = %v, want a bundle all the same", err)
	}
}

func TestJournalReal(t *testing.T) {
	if _, err := exec.LookPath("journalctl"); err != nil {
		t.Skip("SKIPPED: journalctl is missing (systemd)")
	}
	b := newTestBuilder(t, Options{JournalUnit: "pkwatchdogd-test-no-such-unit.service"}, nil)
	h, err := b.collectLog(context.Background(), Input{}, time.Now().Add(-time.Minute))
	if err != nil || len(h.lines) != 0 {
		t.Errorf("collectLog(no such unit) = %q, %v, want no lines, no error", h.lines, err)
	}
}
