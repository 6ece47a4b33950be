package action

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"golang.org/x/sys/unix"

	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// freePort returns a loopback port where nothing listens.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// waitPIDFile waits up to timeout until path holds pid.
func waitPIDFile(t *testing.T, path string, pid int, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		if got, err := ParsePID(b); err == nil && got == pid {
			return
		}
	}
	t.Fatalf("pid file %s never held pid %d", path, pid)
}

// TestRestartRealPagekite kills Debian's real pagekite (a kite pointed at a
// relay port where nothing listens) running under a respawning supervisor,
// found through its pid file with the default process pattern.
func TestRestartRealPagekite(t *testing.T) {
	bin := pktest.PagekiteBinary(t)
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pagekite.pid")
	logFile := filepath.Join(dir, "pagekite.log")
	const secret = "s3cretKiteValue"
	sup := pktest.Supervise(t, []string{bin, "--clean",
		"--frontend=127.0.0.1:" + strconv.Itoa(freePort(t)),
		"--service_on=http:watchdog.kite.test:127.0.0.1:" + strconv.Itoa(freePort(t)) + ":" + secret,
		"--keepalive=1800", "--logfile=" + logFile, "--pidfile=" + pidFile,
	}, pktest.SuperviseOptions{MaxRestarts: 3})
	old := sup.PID()
	// pagekite writes its pid file after installing its SIGUSR1 handler.
	waitPIDFile(t, pidFile, old, 20*time.Second)

	opts := testOptions(DefaultProcessMatch())
	opts.PIDFile = pidFile
	opts.Diagnostics = true
	opts.DiagnosticsWait = 300 * time.Millisecond
	opts.KillTimeout = 5 * time.Second
	opts.RespawnTimeout = 20 * time.Second
	log, logs := observed(t)
	res := New(log, opts).Restart(t.Context(), "watchdog.kite.test")

	if res.Outcome != OutcomeRestarted || res.PID != old || res.NewPID == 0 || res.NewPID == old {
		t.Fatalf("Restart() = outcome %q pid %d new %d (%s), want %q pid %d and a new pid", res.Outcome, res.PID, res.NewPID, res.Reason, OutcomeRestarted, old)
	}
	if got := sup.WaitNewPID(t, old, 5*time.Second); got != res.NewPID {
		t.Errorf("Restart().NewPID = %d, want the supervisor's new child %d", res.NewPID, got)
	}
	if res.Escalated || !res.Diagnostics || res.Kind != pagekite.Py || res.Program != "pagekite" || res.Source != sourcePIDFile || res.Signal != "SIGSEGV" {
		t.Errorf("Restart() = %+v, want not escalated, diagnostics, pagekite.py from the pid file, SIGSEGV", res)
	}
	if res.Exited.IsZero() || res.Respawned.IsZero() || res.Respawned.Before(res.Exited) || res.Exited.Before(res.Started) {
		t.Errorf("Restart() times started %v exited %v respawned %v, want in that order", res.Started, res.Exited, res.Respawned)
	}
	if exits := sup.Exits(); len(exits) == 0 || !strings.Contains(exits[0], "segmentation fault") {
		t.Errorf("supervisor exits = %q, want the first to be a segmentation fault", exits)
	}
	b, _ := os.ReadFile(logFile)
	if !strings.Contains(string(b), "SIGUSR1 received") {
		t.Errorf("pagekite log lacks %q, want the diagnostics dump before the kill", "SIGUSR1 received")
	}

	// The secret on pagekite's command line appears in no log entry above
	// debug level and not in the Result.
	sawDebugCmdline := false
	for _, e := range logs.All() {
		text := e.Message
		for k, v := range e.ContextMap() {
			text += " " + k + "=" + toString(v)
		}
		if strings.Contains(text, secret) {
			if e.Level > zapcore.DebugLevel {
				t.Errorf("log entry %q at %v holds the kite secret", e.Message, e.Level)
			} else {
				sawDebugCmdline = true
			}
		}
	}
	if !sawDebugCmdline {
		t.Errorf("no debug log entry holds the command line, want one")
	}
	js, err := json.Marshal(res)
	if err != nil || strings.Contains(string(js), secret) {
		t.Errorf("json.Marshal(Result) = %s, %v, want no secret", js, err)
	}
}

// toString renders a log field value.
func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestRestartEscalates: a process that ignores SIGSEGV gets SIGKILL after
// KillTimeout, and its supervisor starts a new one.
func TestRestartEscalates(t *testing.T) {
	_, kite := fakeKite(t)
	m := pathMatch(kite)
	// An ignored signal stays ignored across exec.
	sup := pktest.Supervise(t, []string{"sh", "-c", `trap "" SEGV; exec ` + kite + " 60"}, pktest.SuperviseOptions{})
	old := sup.PID()
	waitExec(t, old, m)
	opts := testOptions(m)
	opts.KillTimeout = 300 * time.Millisecond
	res := New(zapNop(), opts).Restart(t.Context(), "a.kite.test")
	if res.Outcome != OutcomeRestarted || !res.Escalated || res.PID != old || res.NewPID == 0 {
		t.Fatalf("Restart() = outcome %q escalated %v pid %d new %d (%s), want %q, escalated, pid %d", res.Outcome, res.Escalated, res.PID, res.NewPID, res.Reason, OutcomeRestarted, old)
	}
	if res.ExitAfterMS < 300 {
		t.Errorf("Restart().ExitAfterMS = %d, want at least the kill timeout (300)", res.ExitAfterMS)
	}
	if exits := sup.Exits(); len(exits) == 0 || exits[0] != "signal: killed" {
		t.Errorf("supervisor exits = %q, want the first to be signal: killed", exits)
	}
}

// TestRestartStopped: a SIGSTOPped process still dies of SIGSEGV (the
// restart sends SIGCONT), without escalation.
func TestRestartStopped(t *testing.T) {
	_, kite := fakeKite(t)
	m := pathMatch(kite)
	sup := pktest.Supervise(t, []string{kite, "60"}, pktest.SuperviseOptions{})
	old := sup.PID()
	waitExec(t, old, m)
	if err := unix.Kill(old, unix.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitState(t, old, "T")
	opts := testOptions(m)
	opts.KillTimeout = 5 * time.Second
	res := New(zapNop(), opts).Restart(t.Context(), "a.kite.test")
	if res.Outcome != OutcomeRestarted || res.Escalated {
		t.Fatalf("Restart(stopped) = outcome %q escalated %v (%s), want %q without escalation", res.Outcome, res.Escalated, res.Reason, OutcomeRestarted)
	}
	if exits := sup.Exits(); len(exits) == 0 || !strings.Contains(exits[0], "segmentation fault") {
		t.Errorf("supervisor exits = %q, want the first to be a segmentation fault", exits)
	}
}

// TestRestartRefuses: a stale pid file pointing at an unrelated live
// program, bad pid files and two candidates lead to no signal at all.
func TestRestartRefuses(t *testing.T) {
	_, kite := fakeKite(t)
	m := pathMatch(kite)
	kiteCmd := startProc(t, kite, "60")
	waitExec(t, kiteCmd.Process.Pid, m)
	unrelated := startProc(t, "sleep", "60")
	waitExec(t, unrelated.Process.Pid, pathMatchAny("sleep"))
	kpid, upid := kiteCmd.Process.Pid, unrelated.Process.Pid
	dir := t.TempDir()

	tests := []struct {
		name      string
		pidFile   string // the pid file's content, unless scan
		scan      bool
		second    bool
		reasonHas string
	}{
		{name: "stale pid file", pidFile: strconv.Itoa(upid) + "\n", reasonHas: "stale pid file"},
		{name: "garbage", pidFile: "garbage\n", reasonHas: "bad pid file"},
		{name: "empty", pidFile: "", reasonHas: "bad pid file"},
		{name: "huge", pidFile: "123456789012345", reasonHas: "bad pid file"},
		{name: "negative", pidFile: "-" + strconv.Itoa(kpid), reasonHas: "bad pid file"},
		{name: "two candidates", scan: true, second: true, reasonHas: "more than one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(m)
			opts.Diagnostics = true // any signal at all would kill sleep
			opts.KillTimeout = 200 * time.Millisecond
			opts.RespawnTimeout = 200 * time.Millisecond
			if !tt.scan {
				opts.PIDFile = filepath.Join(dir, "pk.pid")
				if err := os.WriteFile(opts.PIDFile, []byte(tt.pidFile), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var second int
			if tt.second {
				c := startProc(t, kite, "61")
				second = c.Process.Pid
				waitExec(t, second, m)
			}
			res := New(zapNop(), opts).Restart(t.Context(), "a.kite.test")
			if res.Outcome != OutcomeRefused || !strings.Contains(res.Reason, tt.reasonHas) || !res.Started.IsZero() {
				t.Errorf("Restart() = %q %q, want %q with %q and nothing started", res.Outcome, res.Reason, OutcomeRefused, tt.reasonHas)
			}
			time.Sleep(50 * time.Millisecond) // let a wrongly sent signal land
			for _, pid := range []int{kpid, upid, second} {
				if pid != 0 && !alive(pid) {
					t.Errorf("pid %d is %q after a refused restart, want it untouched", pid, procState(pid))
				}
			}
		})
	}
}

// TestRestartStartCommand: without a supervisor, StartCommand brings
// PageKite back, both after a kill and when none was running.
func TestRestartStartCommand(t *testing.T) {
	for _, running := range []bool{true, false} {
		t.Run("running="+strconv.FormatBool(running), func(t *testing.T) {
			dir, kite := fakeKite(t)
			m := pathMatch(kite)
			var old int
			if running {
				c := startProc(t, kite, "60")
				old = c.Process.Pid
				waitExec(t, old, m)
			}
			started := filepath.Join(dir, "started.pid")
			t.Cleanup(func() { killPIDFile(t, started) })
			opts := testOptions(m)
			opts.RespawnTimeout = 300 * time.Millisecond
			opts.StartCommand = []string{"sh", "-c", kite + " 60 >/dev/null 2>&1 & echo $! > " + started}
			res := New(zapNop(), opts).Restart(t.Context(), "a.kite.test")
			b, _ := os.ReadFile(started)
			want, err := ParsePID(b)
			if err != nil {
				t.Fatalf("start command wrote no pid: %v (result %+v)", err, res)
			}
			if res.Outcome != OutcomeRestartedByCommand || res.NewPID != want || res.PID != old {
				t.Errorf("Restart() = outcome %q pid %d new %d (%s), want %q pid %d new %d", res.Outcome, res.PID, res.NewPID, res.Reason, OutcomeRestartedByCommand, old, want)
			}
		})
	}
}

// killPIDFile ends the process a start command started, by its PID.
func killPIDFile(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	pid, err := ParsePID(b)
	if err != nil {
		return
	}
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

// TestRestartNotRespawned: killed, nothing comes back, no start command.
func TestRestartNotRespawned(t *testing.T) {
	_, kite := fakeKite(t)
	m := pathMatch(kite)
	c := startProc(t, kite, "60")
	waitExec(t, c.Process.Pid, m)
	opts := testOptions(m)
	opts.RespawnTimeout = 300 * time.Millisecond
	log, logs := observed(t)
	res := New(log, opts).Restart(t.Context(), "a.kite.test")
	if res.Outcome != OutcomeNotRespawned || res.Exited.IsZero() || res.NewPID != 0 {
		t.Errorf("Restart() = %q exited %v new %d, want %q, exited, no new pid", res.Outcome, res.Exited, res.NewPID, OutcomeNotRespawned)
	}
	if n := logs.FilterMessage("restart finished").FilterLevelExact(zapcore.ErrorLevel).Len(); n != 1 {
		t.Errorf("error-level %q entries = %d, want 1", "restart finished", n)
	}
	if err := c.Wait(); err == nil || !strings.Contains(err.Error(), "segmentation fault") {
		t.Errorf("process ended with %v, want a segmentation fault", err)
	}
}

// TestRestartDryRun proves and inspects the process but signals nothing.
func TestRestartDryRun(t *testing.T) {
	_, kite := fakeKite(t)
	m := pathMatch(kite)
	c := startProc(t, kite, "60")
	waitExec(t, c.Process.Pid, m)
	opts := testOptions(m)
	opts.DryRun = true
	opts.Diagnostics = true
	res := New(zapNop(), opts).Restart(t.Context(), "a.kite.test")
	if res.Outcome != OutcomeDryRun || res.PID != c.Process.Pid || res.Outlook.CorePattern == "" || res.Diagnostics || !res.Started.IsZero() {
		t.Errorf("Restart(dry run) = %+v, want %q for pid %d with an outlook and nothing sent", res, OutcomeDryRun, c.Process.Pid)
	}
	time.Sleep(50 * time.Millisecond)
	if !alive(c.Process.Pid) {
		t.Errorf("pid %d is %q after a dry run, want it untouched", c.Process.Pid, procState(c.Process.Pid))
	}
}

// TestRestartMethodCommand: method "command" runs Command (here a kill of
// the supervised process) and waits for the new process.
func TestRestartMethodCommand(t *testing.T) {
	_, kite := fakeKite(t)
	m := pathMatch(kite)
	sup := pktest.Supervise(t, []string{kite, "60"}, pktest.SuperviseOptions{})
	old := sup.PID()
	waitExec(t, old, m)
	opts := testOptions(m)
	opts.Method = MethodCommand
	opts.Command = []string{"kill", "-TERM", strconv.Itoa(old)}
	res := New(zapNop(), opts).Restart(t.Context(), "a.kite.test")
	if res.Outcome != OutcomeRestartedByCommand || res.PID != old || res.NewPID == 0 || res.NewPID == old {
		t.Fatalf("Restart(command) = %q pid %d new %d (%s), want %q pid %d and a new pid", res.Outcome, res.PID, res.NewPID, res.Reason, OutcomeRestartedByCommand, old)
	}
	if got := sup.WaitNewPID(t, old, 5*time.Second); got != res.NewPID {
		t.Errorf("Restart(command).NewPID = %d, want %d", res.NewPID, got)
	}

	opts.Command = []string{"sh", "-c", "echo no >&2; exit 4"}
	res = New(zapNop(), opts).Restart(t.Context(), "a.kite.test")
	if res.Outcome != OutcomeFailed || !strings.Contains(res.Reason, "exit status 4") {
		t.Errorf("Restart(failing command) = %q %q, want %q with exit status 4", res.Outcome, res.Reason, OutcomeFailed)
	}
}

// TestOpenProvenRefusesChangedProcess: a process whose identity changed
// between Find and the pidfd (PID reuse) is refused, not signalled.
func TestOpenProvenRefusesChangedProcess(t *testing.T) {
	_, kite := fakeKite(t)
	m := pathMatch(kite)
	c := startProc(t, kite, "60")
	waitExec(t, c.Process.Pid, m)
	r := New(zapNop(), testOptions(m))
	p, err := r.Find(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	h, err := r.openProven(p)
	if err != nil {
		t.Fatalf("openProven(found process) = %v", err)
	}
	h.close()
	reused := p
	reused.StartTicks-- // what a pid file / scan saw before the PID was reused
	if _, err := r.openProven(reused); !errors.Is(err, ErrNotPageKite) {
		t.Errorf("openProven(other start time) = %v, want ErrNotPageKite", err)
	}
	_ = c.Process.Kill()
	_ = c.Wait()
	if _, err := r.openProven(p); !errors.Is(err, ErrNotFound) {
		t.Errorf("openProven(exited) = %v, want ErrNotFound", err)
	}
}

// TestStopDuringDiagnosticsKillsNothing: pkwatchdogd stopping (its context
// cancelled, as on SIGTERM) while it waits after the diagnostics signals
// abandons the restart: the kill signal is never sent, and the result
// says so. The stop comes once the fake has handled both signals (not
// after a fixed time, which a loaded machine can overrun).
func TestStopDuringDiagnosticsKillsNothing(t *testing.T) {
	rec := startSignalRecorder(t)
	opts := rec.options()
	opts.Diagnostics = true
	opts.DiagnosticsWait = 30 * time.Second
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan Result, 1)
	go func() { done <- New(zapNop(), opts).Restart(ctx, "a.kite.test") }()
	got := rec.signals(2)
	if !slices.Equal(got, []string{"USR1", "USR2"}) {
		t.Errorf("the fake got %v, want the diagnostics signals USR1 USR2", got)
	}
	cancel()
	start := time.Now()
	var res Result
	select {
	case res = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Restart did not return within 10s of the stop")
	}
	if res.Outcome != OutcomeFailed || !strings.Contains(res.Reason, "before the kill signal") {
		t.Errorf("Restart(stopped during diagnostics) = %q %q, want failed, nothing killed", res.Outcome, res.Reason)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Restart took %v after the stop, want it to return at once", d)
	}
	time.Sleep(100 * time.Millisecond)
	if !alive(rec.pid) {
		t.Errorf("pid %d died (state %q), want it untouched", rec.pid, procState(rec.pid))
	}
}

// TestDiagnosticsPagekitec: a stopped pagekitec gets SIGCONT, then SIGUSR1
// (log everything) and SIGUSR2 (dump state) before the kill; the fake
// records the two as it handles them (which a stopped process cannot:
// SIGCONT worked), and the result says what was sent.
func TestDiagnosticsPagekitec(t *testing.T) {
	rec := startSignalRecorder(t)
	if err := rec.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitState(t, rec.pid, "T")
	opts := rec.options()
	opts.Diagnostics = true
	opts.DiagnosticsWait = 500 * time.Millisecond
	opts.RespawnTimeout = 100 * time.Millisecond
	res := New(zapNop(), opts).Restart(t.Context(), "a.kite.test")
	want := []string{"SIGCONT", "SIGUSR1", "SIGUSR2"}
	if !slices.Equal(res.DiagnosticsSent, want) || !res.Diagnostics || res.DiagnosticsAt.IsZero() {
		t.Errorf("Restart() diagnostics = %v %v at %v, want %v", res.Diagnostics, res.DiagnosticsSent, res.DiagnosticsAt, want)
	}
	if got := rec.signals(2); !slices.Equal(got, []string{"USR1", "USR2"}) {
		t.Errorf("the fake handled %v before the kill, want USR1 USR2", got)
	}
	if res.Kind != pagekite.C || alive(rec.pid) {
		t.Errorf("Restart() = kind %q, pid alive %v; want pagekitec killed (%q %q)", res.Kind, alive(rec.pid), res.Outcome, res.Reason)
	}
}

// TestRaiseLogLevel: a proven pagekitec gets SIGUSR1 (the fake records
// it) and lives on; a dry run signals nothing; nothing found is an error.
func TestRaiseLogLevel(t *testing.T) {
	rec := startSignalRecorder(t)
	opts := rec.options()
	if err := New(zapNop(), opts).RaiseLogLevel(t.Context()); err != nil || !alive(rec.pid) {
		t.Errorf("RaiseLogLevel() = %v, alive %v; want nil and alive", err, alive(rec.pid))
	}
	if got := rec.signals(1); !slices.Equal(got, []string{"USR1"}) {
		t.Errorf("the fake got %v, want USR1", got)
	}
	opts.DryRun = true
	if err := New(zapNop(), opts).RaiseLogLevel(t.Context()); err != nil {
		t.Errorf("RaiseLogLevel(dry run) = %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	if got := rec.signals(0); len(got) != 1 {
		t.Errorf("after a dry run the fake got %v, want still only USR1", got)
	}
	opts.DryRun = false
	opts.PIDFile = filepath.Join(t.TempDir(), "missing.pid")
	if err := New(zapNop(), opts).RaiseLogLevel(t.Context()); err == nil {
		t.Error("RaiseLogLevel(nothing running) = nil, want an error")
	}
}

// TestRestartFoundIsThatProcess: the restart of a process found for the
// decision signals that process or nobody: once it exited and another
// PageKite runs in its place (younger than the decision knew), nothing is
// signalled, no start command runs, and the newcomer lives on;
// RestartFound(nil) looks again.
func TestRestartFoundIsThatProcess(t *testing.T) {
	_, kite := fakeKite(t)
	m := pathMatch(kite)
	first := startProc(t, kite, "60")
	waitExec(t, first.Process.Pid, m)
	// A start command is for no PageKite at all, not for a respawned one.
	marker := filepath.Join(t.TempDir(), "started")
	opts := testOptions(m)
	opts.StartCommand = []string{"touch", marker}
	r := New(zapNop(), opts)
	found, err := r.Find(t.Context())
	if err != nil || found.PID != first.Process.Pid {
		t.Fatalf("Find() = pid %d, %v; want %d", found.PID, err, first.Process.Pid)
	}
	_ = first.Process.Kill()
	_ = first.Wait()
	second := startProc(t, kite, "60")
	waitExec(t, second.Process.Pid, m)
	res := r.RestartFound(t.Context(), "a.kite.test", &found)
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("RestartFound(the exited process) ran the start command while pid %d runs", second.Process.Pid)
	}
	if res.Outcome != OutcomeNoProcess || res.PID != found.PID {
		t.Errorf("RestartFound(the exited process) = %q pid %d (%s), want %q for pid %d", res.Outcome, res.PID, res.Reason, OutcomeNoProcess, found.PID)
	}
	if !alive(second.Process.Pid) {
		t.Fatalf("pid %d, which the decision did not see, was killed", second.Process.Pid)
	}
	opts = testOptions(m)
	opts.DryRun = true
	if res := New(zapNop(), opts).RestartFound(t.Context(), "a.kite.test", nil); res.Outcome != OutcomeDryRun || res.PID != second.Process.Pid {
		t.Errorf("RestartFound(nil) = %q pid %d, want a dry run of pid %d, found anew", res.Outcome, res.PID, second.Process.Pid)
	}
}
