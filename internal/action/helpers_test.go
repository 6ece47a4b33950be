package action

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

// fakeKite copies sleep(1) to dir/pagekitec: a process whose command line
// holds the test's own temp path, so that the test's ProcessMatch can never
// match the PageKite processes of other tests on this machine. It stands
// in for pagekitec, which cannot be installed here: the proof takes an
// executable named pagekitec, owned by root (or the test's user) and
// writable by nobody else, for it.
func fakeKite(t *testing.T) (dir, path string) {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatalf("LookPath(sleep): %v", err)
	}
	dir = t.TempDir()
	path = filepath.Join(dir, "pagekitec")
	copyFile(t, sleep, path)
	return dir, path
}

// fakeShell copies /bin/sh to a new temp dir, named pagekitec (see
// fakeKite): for fake PageKites whose command line must hold options
// (--isfrontend) that sleep would refuse.
func fakeShell(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "pagekitec")
	copyFile(t, "/bin/sh", dst)
	return dst
}

// copyFile copies src to dst, mode 0755.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// signalRecorder is a fake pagekitec (fakeShell) that records the
// diagnostics signals PageKite handles (USR1, USR2) in a file instead of
// ignoring them, so that a test sees what was really sent. A pid file
// names it: its short-lived sleep children would make a scan ambiguous.
type signalRecorder struct {
	cmd     *exec.Cmd
	pid     int
	bin     string // the fake's executable (match it with pathMatch)
	pidFile string
	got     string // the file it records into
}

// startSignalRecorder starts a signalRecorder; t.Cleanup ends it.
func startSignalRecorder(t *testing.T) *signalRecorder {
	t.Helper()
	r := &signalRecorder{bin: fakeShell(t)}
	dir := filepath.Dir(r.bin)
	r.got, r.pidFile = filepath.Join(dir, "got"), filepath.Join(dir, "pagekitec.pid")
	script := ""
	for _, sig := range []string{"USR1", "USR2"} {
		script += "trap 'echo " + sig + " >> " + r.got + "' " + sig + "; "
	}
	ready := filepath.Join(dir, "ready")
	script += ": > " + ready + "; while :; do sleep 0.05 & wait $!; done"
	r.cmd = startProc(t, r.bin, "-c", script)
	r.pid = r.cmd.Process.Pid
	// Its traps are set once it made the ready file.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the signal recorder never got ready")
		}
	}
	if err := os.WriteFile(r.pidFile, []byte(strconv.Itoa(r.pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

// options are fast restart options that find the recorder by its pid file.
func (r *signalRecorder) options() Options {
	o := testOptions(pathMatch(r.bin))
	o.PIDFile = r.pidFile
	return o
}

// signals returns the signals recorded so far, waiting up to 2 s for at
// least want of them (0: no wait).
func (r *signalRecorder) signals(want int) []string {
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(r.got)
		got := strings.Fields(string(b))
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
	}
}

// pathMatch matches command lines that run path.
func pathMatch(path string) *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.QuoteMeta(path) + `(\s|$)`)
}

// startProc starts argv; t.Cleanup kills it by PID and reaps it.
func startProc(t *testing.T, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// alive reports whether pid runs (exists and is not a zombie).
func alive(pid int) bool {
	st := procState(pid)
	return st != "" && st != "Z"
}

// waitState waits up to 5s for pid to reach one of states.
func waitState(t *testing.T, pid int, states string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if st := procState(pid); st != "" && strings.Contains(states, st) {
			return
		}
	}
	t.Fatalf("pid %d state = %q, want one of %q", pid, procState(pid), states)
}

// waitExec waits up to 5s until pid's command line matches m (a child
// between fork and exec still shows the test binary's).
func waitExec(t *testing.T, pid int, m *regexp.Regexp) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if m.MatchString(strings.ReplaceAll(string(b), "\x00", " ")) {
			return
		}
	}
	t.Fatalf("pid %d never ran the expected program", pid)
}

// testOptions are fast options for tests: no unit (no systemctl on every
// poll), no diagnostics, short timeouts.
func testOptions(m *regexp.Regexp) Options {
	o := DefaultOptions()
	o.Unit = ""
	o.ProcessMatch = m
	o.Diagnostics = false
	o.DiagnosticsWait = 50 * time.Millisecond
	o.KillTimeout = 2 * time.Second
	o.RespawnTimeout = 5 * time.Second
	o.CommandTimeout = 5 * time.Second
	return o
}

// observed returns a logger that both writes to the test log and records.
func observed(t *testing.T) (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	log := zap.New(zapcore.NewTee(zaptest.NewLogger(t).Core(), core))
	return log, logs
}

func zapNop() *zap.Logger { return zap.NewNop() }

// startProcIn is startProc with a working directory.
func startProcIn(t *testing.T, dir string, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// pathMatchAny matches command lines whose program's base name is name.
func pathMatchAny(name string) *regexp.Regexp {
	return regexp.MustCompile(`^(\S*/)?` + regexp.QuoteMeta(name) + `(\s|$)`)
}
