package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/report"
	"github.com/pagekite/pkwatchdogd/internal/status"
)

// lockedBuffer is a bytes.Buffer safe for the daemon's writes and the
// test's reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// daemon is `pkwatchdogd run` running in-process on a config.
type daemon struct {
	out    lockedBuffer
	cancel context.CancelFunc
	done   chan int
	code   int
	ended  bool
}

// runInProcess runs `run --config path` in-process. t.Cleanup stops it (as
// stop does) and logs its output when the test failed.
func runInProcess(t *testing.T, path string) *daemon {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{cancel: cancel, done: make(chan int, 1)}
	go func() { d.done <- run(ctx, []string{"run", "--config", path}, &d.out, &d.out) }()
	t.Cleanup(func() {
		d.stop(t)
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.out.String())
		}
	})
	return d
}

// stop ends the daemon (as SIGTERM does) and returns its exit status; it
// waits at most 15 s and may be called more than once.
func (d *daemon) stop(t *testing.T) int {
	t.Helper()
	d.cancel()
	if !d.ended {
		select {
		case d.code = <-d.done:
			d.ended = true
		case <-time.After(15 * time.Second):
			t.Error("the daemon did not stop within 15s")
		}
	}
	return d.code
}

// waitPID waits for path to hold a PID and returns it.
func waitPID(t *testing.T, path string, timeout time.Duration) string {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
			return string(bytes.TrimSpace(b))
		}
	}
	t.Fatalf("pid file %s never written", path)
	return ""
}

// waitLogged waits, at most timeout, for the file at path to hold text.
func waitLogged(t *testing.T, path, text string, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if b, _ := os.ReadFile(path); strings.Contains(string(b), text) {
			return
		}
	}
	t.Fatalf("%s never held %q", path, text)
}

// TestOneRestartPerInstanceRealPagekite runs the daemon (in-process, the
// real wiring) over two real Debian pagekite.py processes under respawning
// supervisors. Instance "main" flies three kites (two http names and one
// raw) to relay A, but they are probed through relay B, which never sees
// them while the process stays alive: every probe says kite-down. It must
// get exactly max_restarts SIGSEGVs in the window, with one saved report
// per restart, never one per kite. Instance "other" flies one kite to
// relay A and is probed there: flying, never signalled.
func TestOneRestartPerInstanceRealPagekite(t *testing.T) {
	bin := pktest.PagekiteBinary(t)
	relayA := pktest.StartRelay(t)
	relayB := pktest.StartRelay(t)
	web := pktest.StartWebServer(t)
	dir := t.TempDir()
	const maxRestarts = 2

	mainPID, mainLog := filepath.Join(dir, "main.pid"), filepath.Join(dir, "main.log")
	mainKites := []pktest.Service{
		pktest.HTTPService("a."+pktest.RelayDomain, web),
		pktest.HTTPService("b."+pktest.RelayDomain, web),
		pktest.RawService("c."+pktest.RelayDomain, 22, web),
	}
	mainSup := pktest.Supervise(t, append(pktest.KiteArgv(bin, relayA, mainLog, mainKites...), "--pidfile="+mainPID),
		pktest.SuperviseOptions{MaxRestarts: 2 * maxRestarts, Dir: dir})
	otherPID, otherLog := filepath.Join(dir, "other.pid"), filepath.Join(dir, "other.log")
	otherKite := pktest.HTTPService("x."+pktest.RelayDomain, web)
	otherSup := pktest.Supervise(t, append(pktest.KiteArgv(bin, relayA, otherLog, otherKite), "--pidfile="+otherPID),
		pktest.SuperviseOptions{MaxRestarts: 2, Dir: dir})
	waitPID(t, mainPID, 20*time.Second)
	waitPID(t, otherPID, 20*time.Second)

	var body strings.Builder
	fmt.Fprintf(&body, `
[probe]
interval = "3s"
jitter = 0.0
timeout = "2500ms"
[policy]
failure_threshold = 1
grace_period = "1s"
cooldown = "2s"
max_cooldown = "2s"
max_restarts = %d
restart_window = "1h"
min_process_age = "0s"
startup_delay = "0s"
[restart]
unit = ""
diagnostics = false
kill_timeout = "5s"
respawn_timeout = "20s"
[report]
enabled = false
[[pagekite]]
name = "main"
pidfile = %q
log_file = %q
[[pagekite]]
name = "other"
pidfile = %q
log_file = %q
`, maxRestarts, mainPID, mainLog, otherPID, otherLog)
	for _, k := range mainKites[:2] {
		fmt.Fprintf(&body, "[[kite]]\nname = %q\nurl = \"http://%s/\"\nconnect_to = %q\npagekite = \"main\"\n", k.Name, k.Name, relayB.Addr)
	}
	fmt.Fprintf(&body, "[[kite]]\nname = %q\nkind = \"raw\"\nport = 22\nconnect_to = %q\npagekite = \"main\"\n", mainKites[2].Name, relayB.Addr)
	fmt.Fprintf(&body, "[[kite]]\nname = %q\nurl = \"http://%s/\"\nconnect_to = %q\npagekite = \"other\"\n", otherKite.Name, otherKite.Name, relayA.Addr)
	path := writeConfig(t, body.String())

	runInProcess(t, path)

	// Each cycle: a probe (kite-down), grace, a probe, the restart, the
	// cooldown. Wait for the budget's restarts, then as long again to see
	// that no more come.
	deadline := time.Now().Add(90 * time.Second)
	for mainSup.Restarts() < maxRestarts && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(20 * time.Second)

	segv := 0
	for _, e := range mainSup.Exits() {
		if strings.Contains(e, "segmentation fault") {
			segv++
		}
	}
	t.Logf("main: %d restarts by its supervisor, exits %q; other: %d restarts", mainSup.Restarts(), mainSup.Exits(), otherSup.Restarts())
	if segv != maxRestarts || mainSup.Restarts() != maxRestarts {
		t.Errorf("main got %d SIGSEGVs (%d restarts), want exactly max_restarts = %d for its three kites", segv, mainSup.Restarts(), maxRestarts)
	}
	if n := otherSup.Restarts(); n != 0 {
		t.Errorf("other was restarted %d times (exits %q), want never: its kite flies", n, otherSup.Exits())
	}
	state := filepath.Join(filepath.Dir(path), "state")
	bundles, err := report.Bundles(filepath.Join(state, "reports"))
	if err != nil || len(bundles) != maxRestarts {
		t.Errorf("saved reports = %d (%v), want one per restart (%d)", len(bundles), err, maxRestarts)
	}
	// Each report lists every kite of the instance with what its loop
	// found: the last verdict, recent probes, the state history.
	for _, b := range bundles {
		var rep struct {
			Instance string `json:"pagekite_instance"`
			Kites    []struct {
				Name, Verdict string
				Probes        []json.RawMessage
				History       []json.RawMessage
			} `json:"kites"`
		}
		if err := json.Unmarshal(tarMember(t, b.Path, report.JSONMember), &rep); err != nil {
			t.Fatalf("%s: report.json: %v", b.Path, err)
		}
		if rep.Instance != "main" || len(rep.Kites) != 3 {
			t.Errorf("%s: instance %q with %d kites, want main with 3", b.Path, rep.Instance, len(rep.Kites))
		}
		for _, k := range rep.Kites {
			if k.Verdict != "kite-down" || len(k.Probes) == 0 || len(k.History) == 0 {
				t.Errorf("%s: kite %s: verdict %q, %d probes, %d transitions, want kite-down with probes and history",
					b.Path, k.Name, k.Verdict, len(k.Probes), len(k.History))
			}
		}
	}
	f, err := status.Read(filepath.Join(state, "status.json"))
	if err != nil {
		t.Fatalf("status.Read() = %v", err)
	}
	for _, p := range f.Pagekites {
		switch {
		case p.Name == "main" && (p.RestartsInWindow != maxRestarts || p.NextRestartAllowed == "" || len(p.Kites) != 3):
			t.Errorf("status of main = %+v, want %d restarts in window, a next restart time, 3 kites", p, maxRestarts)
		case p.Name == "other" && (p.RestartsInWindow != 0 || p.PID == 0):
			t.Errorf("status of other = %+v, want no restart and its pid", p)
		}
	}
	for _, k := range f.Kites {
		if want := map[bool]string{true: "other", false: "main"}[k.Name == otherKite.Name]; k.Pagekite != want {
			t.Errorf("status of kite %s: pagekite %q, want %q", k.Name, k.Pagekite, want)
		}
	}
}

// tarMember returns the member called name of the tar at path.
func tarMember(t *testing.T, path, name string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s has no member %s", path, name)
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h.Name == name {
			b, err := io.ReadAll(io.LimitReader(tr, 16<<20))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}
