package faults

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/watchdog"
)

// The process faults run the loop in real time (short intervals) with the
// real restarter, internal/action, on real processes that the tests start
// and end by PID. The probe is scripted (kite-down until the restart): the
// network side is covered by the network scenarios.

// fakePageKite is a Python program named "pagekite", so that the default
// process match takes it for pagekite.py. It writes its PID file, ignores
// SIGUSR1 (pagekite.py logs on it) and, in mode "ignore-segv", SIGSEGV.
const fakePageKite = `import os, signal, sys, time
pidfile, mode = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
if mode == "ignore-segv":
    signal.signal(signal.SIGSEGV, signal.SIG_IGN)
with open(pidfile + ".tmp", "w") as f:
    f.write("%d\n" % os.getpid())
os.rename(pidfile + ".tmp", pidfile)
time.sleep(120)
`

// pythonBinary is the Python the fake PageKite runs under.
func pythonBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	pktest.PagekiteBinary(t) // pagekite.py needs python3: skip or fail alike
	t.Fatal("python3 not found although pagekite is installed")
	return ""
}

// fakePageKiteArgv writes the fake PageKite into dir and returns its argv.
func fakePageKiteArgv(t *testing.T, dir, pidFile, mode string) []string {
	t.Helper()
	script := filepath.Join(dir, "pagekite")
	writeFile(t, script, fakePageKite)
	return []string{pythonBinary(t), script, pidFile, mode}
}

// readPID waits (up to 10 s) for pidFile to name a PID other than not.
func readPID(t *testing.T, pidFile string, not int) int {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		data, err := os.ReadFile(pidFile)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && pid != not {
			return pid
		}
	}
	t.Fatalf("%s: no new PID within 10s", pidFile)
	return 0
}

// startChild starts argv as the test's own child, killed by PID and reaped
// when the test ends. exited is closed once it has been reaped; state then
// says how it ended.
func startChild(t *testing.T, dir string, argv []string) (cmd *exec.Cmd, exited <-chan struct{}, state func() string) {
	t.Helper()
	cmd = exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", argv[0], err)
	}
	done := make(chan struct{})
	var how string
	go func() {
		err := cmd.Wait()
		how = cmd.ProcessState.String()
		if err != nil && cmd.ProcessState == nil {
			how = err.Error()
		}
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	return cmd, done, func() string { <-done; return how }
}

// killPID ends a process the test started indirectly (through a start
// command), by PID, when the test ends.
func killPID(t *testing.T, pid int) {
	t.Cleanup(func() {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			t.Errorf("kill %d: %v", pid, err)
		}
	})
}

// markingRestarter is the real restarter; it tells the scripted prober that
// the kite was restarted when something was signalled or run.
type markingRestarter struct {
	*action.Restarter
	p *scriptProber
}

func (m markingRestarter) RestartFound(ctx context.Context, kite string, found *action.Process) action.Result {
	res := m.Restarter.RestartFound(ctx, kite, found)
	if spent(res) {
		m.p.markRestarted(kite)
	}
	return res
}

// spent reports whether a restart signalled or ran something: what the
// table counts as a restart.
func spent(r action.Result) bool {
	switch r.Outcome {
	case action.OutcomeDryRun, action.OutcomeNoProcess, action.OutcomeRefused:
		return false
	}
	return true
}

// realTimeSettings: a decision within a second.
func realTimeSettings() *watchdog.Settings {
	return &watchdog.Settings{
		Interval: 100 * time.Millisecond,
		Timeout:  time.Second,
		Policy: fsm.Policy{
			FailureThreshold: 2,
			GracePeriod:      200 * time.Millisecond,
		},
		Instances: []desk.Instance{{Name: "pagekite", Policy: desk.Policy{Cooldown: time.Hour, MaxCooldown: time.Hour},
			Targets: []probe.Target{{Name: kite, Kind: probe.KindHTTP}}}},
	}
}

// restartOnce runs the loop in real time with restarter opts until one
// restart was attempted (at most 30 s), then a little longer to see that
// no second one follows. It returns the attempts' results and the table's
// counts.
func restartOnce(t *testing.T, opts action.Options) (results []action.Result, restarts, uploads int) {
	t.Helper()
	p := newScriptProber(0, verdicts(downUntilRestarted(0)))
	real := action.New(zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Named("action"), opts)
	r := startRig(t, realTimeSettings(), p, rigOptions{restarter: markingRestarter{Restarter: real, p: p}})
	for end := time.Now().Add(30 * time.Second); len(r.steps.results()) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			r.stop()
			t.Fatal("no restart attempt within 30s of kite-down")
		}
	}
	time.Sleep(500 * time.Millisecond)
	r.stop()
	results = r.steps.results()
	for _, res := range results {
		if spent(res) {
			restarts++
		}
	}
	return results, restarts, r.uploads()
}

// processOptions are the real restarter's options for a PID file, with
// short timeouts.
func processOptions(pidFile string) action.Options {
	o := action.DefaultOptions()
	o.PIDFile = pidFile
	o.Unit = ""
	o.Diagnostics = false
	o.KillTimeout = 500 * time.Millisecond
	o.RespawnTimeout = 3 * time.Second
	o.CommandTimeout = 5 * time.Second
	return o
}

func processScenarios() []scenario {
	return []scenario{
		{
			// A look-alike: argv says pagekite (exec -a), but the
			// executable is python running another script. Never proven,
			// never signalled.
			name: "look-alike process (exec -a pagekite python3 x.py)", wantRestarts: 0, wantUploads: 0,
			run: func(t *testing.T) (int, int) {
				pktest.RequireRoot(t)
				dir := t.TempDir()
				script := filepath.Join(dir, "x.py")
				writeFile(t, script, "import time\ntime.sleep(60)\n")
				cmd := exec.Command(pythonBinary(t), script)
				cmd.Args[0] = "pagekite"
				cmd.Dir = dir
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
				pidFile := filepath.Join(dir, "pagekite.pid")
				writeFile(t, pidFile, strconv.Itoa(cmd.Process.Pid)+"\n")
				results, restarts, uploads := restartOnce(t, processOptions(pidFile))
				if len(results) != 1 || results[0].Outcome != action.OutcomeRefused {
					t.Errorf("restart results = %+v, want one %q", results, action.OutcomeRefused)
				}
				if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
					t.Errorf("the look-alike (pid %d) is gone: %v; want it untouched", cmd.Process.Pid, err)
				}
				return restarts, uploads
			},
		},
		{
			// A FIFO where the pid file should be: refused at once,
			// nothing blocks, nothing is signalled.
			name: "FIFO as the pid file", wantRestarts: 0, wantUploads: 0,
			run: func(t *testing.T) (int, int) {
				pidFile := filepath.Join(t.TempDir(), "pagekite.pid")
				if err := syscall.Mkfifo(pidFile, 0o600); err != nil {
					t.Fatal(err)
				}
				results, restarts, uploads := restartOnce(t, processOptions(pidFile))
				if len(results) != 1 || results[0].Outcome != action.OutcomeRefused {
					t.Errorf("restart results = %+v, want one %q", results, action.OutcomeRefused)
				}
				return restarts, uploads
			},
		},
		{
			// The pid file names a live process that is not PageKite: it
			// must not be signalled (and no report: nothing happened).
			name: "stale pid file pointing at an unrelated process", wantRestarts: 0, wantUploads: 0,
			run: func(t *testing.T) (int, int) {
				pktest.RequireRoot(t)
				dir := t.TempDir()
				cmd, exited, state := startChild(t, dir, []string{"sleep", "60"})
				pidFile := filepath.Join(dir, "pagekite.pid")
				writeFile(t, pidFile, strconv.Itoa(cmd.Process.Pid)+"\n")
				results, restarts, uploads := restartOnce(t, processOptions(pidFile))
				if len(results) != 1 || results[0].Outcome != action.OutcomeRefused {
					t.Errorf("restart results = %+v, want one %q", results, action.OutcomeRefused)
				}
				select {
				case <-exited:
					t.Errorf("the unrelated sleep (pid %d) ended: %s; want it untouched", cmd.Process.Pid, state())
				default:
				}
				return restarts, uploads
			},
		},
		{
			// SIGSEGV is ignored: SIGKILL after kill_timeout, and the
			// supervisor starts a new one.
			name: "PageKite that ignores SIGSEGV", wantRestarts: 1, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				pktest.RequireRoot(t)
				dir := t.TempDir()
				pidFile := filepath.Join(dir, "pagekite.pid")
				sup := pktest.Supervise(t, fakePageKiteArgv(t, dir, pidFile, "ignore-segv"), pktest.SuperviseOptions{MaxRestarts: 3, Dir: dir})
				readPID(t, pidFile, 0)
				results, restarts, uploads := restartOnce(t, processOptions(pidFile))
				if len(results) != 1 || results[0].Outcome != action.OutcomeRestarted || !results[0].Escalated {
					t.Errorf("restart results = %+v, want one %q, escalated", results, action.OutcomeRestarted)
				}
				if ex := sup.Exits(); len(ex) != 1 || ex[0] != "signal: killed" {
					t.Errorf("supervisor saw exits %q, want [signal: killed]", ex)
				}
				return restarts, uploads
			},
		},
		{
			// Killed, and nobody starts a new one: the restart counts,
			// the report says PageKite did not come back.
			name: "no supervisor, no start command", wantRestarts: 1, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				pktest.RequireRoot(t)
				dir := t.TempDir()
				pidFile := filepath.Join(dir, "pagekite.pid")
				_, _, state := startChild(t, dir, fakePageKiteArgv(t, dir, pidFile, "normal"))
				readPID(t, pidFile, 0)
				opts := processOptions(pidFile)
				opts.RespawnTimeout = time.Second
				results, restarts, uploads := restartOnce(t, opts)
				if len(results) != 1 || results[0].Outcome != action.OutcomeNotRespawned {
					t.Errorf("restart results = %+v, want one %q", results, action.OutcomeNotRespawned)
				}
				if got := state(); got != "signal: segmentation fault" && got != "signal: segmentation fault (core dumped)" {
					t.Errorf("PageKite ended with %q, want SIGSEGV", got)
				}
				return restarts, uploads
			},
		},
		{
			// Killed, and the start command brings a new one.
			name: "no supervisor, with start command", wantRestarts: 1, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				pktest.RequireRoot(t)
				dir := t.TempDir()
				pidFile := filepath.Join(dir, "pagekite.pid")
				argv := fakePageKiteArgv(t, dir, pidFile, "normal")
				cmd, _, _ := startChild(t, dir, argv)
				readPID(t, pidFile, 0)
				opts := processOptions(pidFile)
				opts.RespawnTimeout = time.Second
				opts.StartCommand = []string{"/bin/sh", "-c", "cd " + dir + " && exec " + strings.Join(argv, " ") + " </dev/null >/dev/null 2>&1 &"}
				results, restarts, uploads := restartOnce(t, opts)
				if pid := readPID(t, pidFile, cmd.Process.Pid); pid > 0 {
					killPID(t, pid)
				}
				if len(results) != 1 || results[0].Outcome != action.OutcomeRestartedByCommand {
					t.Errorf("restart results = %+v, want one %q", results, action.OutcomeRestartedByCommand)
				}
				return restarts, uploads
			},
		},
	}
}
