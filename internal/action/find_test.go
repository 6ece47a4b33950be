package action

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pagekite"
)

// TestFindScan covers the /proc scan with real processes: none, one, two
// (ambiguous), and a relay (excluded).
func TestFindScan(t *testing.T) {
	t.Run("none", func(t *testing.T) {
		_, kite := fakeKite(t)
		_, err := New(zapNop(), testOptions(pathMatch(kite))).Find(t.Context())
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Find() with nothing running = %v, want ErrNotFound", err)
		}
	})
	t.Run("one", func(t *testing.T) {
		_, kite := fakeKite(t)
		cmd := startProc(t, kite, "60")
		waitExec(t, cmd.Process.Pid, pathMatch(kite))
		p, err := New(zapNop(), testOptions(pathMatch(kite))).Find(t.Context())
		if err != nil || p.PID != cmd.Process.Pid || p.Program != "pagekitec" || p.Kind != pagekite.C {
			t.Errorf("Find() = %d %q %q, %v, want pid %d pagekitec", p.PID, p.Program, p.Kind, err, cmd.Process.Pid)
		}
	})
	t.Run("two", func(t *testing.T) {
		_, kite := fakeKite(t)
		a := startProc(t, kite, "60")
		b := startProc(t, kite, "61")
		waitExec(t, a.Process.Pid, pathMatch(kite))
		waitExec(t, b.Process.Pid, pathMatch(kite))
		_, err := New(zapNop(), testOptions(pathMatch(kite))).Find(t.Context())
		if !errors.Is(err, ErrAmbiguous) {
			t.Errorf("Find() with two candidates = %v, want ErrAmbiguous", err)
		}
	})
	t.Run("relay excluded", func(t *testing.T) {
		// A shell whose argv holds the test's path and, for the relay,
		// --isfrontend ("; :" keeps sh from exec'ing sleep).
		_, kite := fakeKite(t)
		sh := fakeShell(t)
		m := regexp.MustCompile(regexp.QuoteMeta(kite))
		relay := startProc(t, sh, "-c", "sleep 60; :", kite, "--isfrontend")
		waitExec(t, relay.Process.Pid, m)
		waitSleeping(t, relay.Process.Pid)
		r := New(zapNop(), testOptions(m))
		if p, err := r.Find(t.Context()); !errors.Is(err, ErrNotFound) {
			t.Errorf("Find() with only a relay = %d, %v, want ErrNotFound", p.PID, err)
		}
		kiteCmd := startProc(t, sh, "-c", "sleep 60; :", kite, "--clean")
		waitExec(t, kiteCmd.Process.Pid, m)
		waitSleeping(t, kiteCmd.Process.Pid)
		if p, err := r.Find(t.Context()); err != nil || p.PID != kiteCmd.Process.Pid {
			t.Errorf("Find() with a relay and a kite = %d, %v, want the kite %d", p.PID, err, kiteCmd.Process.Pid)
		}
	})
}

// TestFindPIDFile covers the pid file source with real processes.
func TestFindPIDFile(t *testing.T) {
	_, kite := fakeKite(t)
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pagekite.pid")
	opts := testOptions(pathMatch(kite))
	opts.PIDFile = pidFile
	r := New(zapNop(), opts)

	kiteCmd := startProc(t, kite, "60")
	waitExec(t, kiteCmd.Process.Pid, pathMatch(kite))
	other := startProc(t, "sleep", "60") // an unrelated live program
	dead := startProc(t, "true")
	_ = dead.Wait()

	tests := []struct {
		name    string
		content string
		want    int
		is      []error
	}{
		{"live pagekite", strconv.Itoa(kiteCmd.Process.Pid) + "\n", kiteCmd.Process.Pid, nil},
		{"reused by another program", strconv.Itoa(other.Process.Pid), 0, []error{ErrStalePIDFile, ErrNotPageKite}},
		{"dead pid", strconv.Itoa(dead.Process.Pid), 0, []error{ErrStalePIDFile, ErrNotFound}},
		{"our own pid", strconv.Itoa(os.Getpid()), 0, []error{ErrStalePIDFile, ErrNotPageKite}},
		{"pid 1", "1", 0, []error{ErrStalePIDFile, ErrNotPageKite}},
		{"garbage", "pagekite", 0, []error{ErrBadPIDFile}},
		{"empty", "", 0, []error{ErrBadPIDFile}},
		{"huge", "99999999999", 0, []error{ErrBadPIDFile}},
		{"negative", "-" + strconv.Itoa(kiteCmd.Process.Pid), 0, []error{ErrBadPIDFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(pidFile, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := r.Find(t.Context())
			if tt.is == nil {
				if err != nil || p.PID != tt.want {
					t.Errorf("Find() with pid file %q = %d, %v, want %d", tt.content, p.PID, err, tt.want)
				}
				return
			}
			for _, is := range tt.is {
				if !errors.Is(err, is) {
					t.Errorf("Find() with pid file %q = %v, want %v", tt.content, err, is)
				}
			}
		})
	}
	if err := os.Remove(pidFile); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Find(t.Context()); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find() with no pid file = %v, want ErrNotFound", err)
	}
}

// waitSleeping waits up to 5s until the shell pid's child runs sleep: a
// child between fork and exec still looks like the shell.
func waitSleeping(t *testing.T, pid int) {
	t.Helper()
	p := strconv.Itoa(pid)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		kids, _ := os.ReadFile("/proc/" + p + "/task/" + p + "/children")
		for _, kid := range strings.Fields(string(kids)) {
			if b, _ := os.ReadFile("/proc/" + kid + "/cmdline"); strings.HasPrefix(string(b), "sleep\x00") {
				return
			}
		}
	}
	t.Fatalf("the shell %d never ran sleep", pid)
}
