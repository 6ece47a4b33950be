package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/report"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// stacksReport is what the tests read of report.json's stacks.
type stacksReport struct {
	Schema int `json:"schema"`
	Stacks *struct {
		Threads []struct {
			TID     int    `json:"tid"`
			State   string `json:"state"`
			Syscall string `json:"syscall"`
		} `json:"threads"`
		Faulthandler       string                                               `json:"faulthandler"`
		Python             []stacks.PyThread                                    `json:"python"`
		PythonSource       string                                               `json:"python_source"`
		PythonVersion      string                                               `json:"python_version"`
		PythonFaulthandler []stacks.PyThread                                    `json:"python_faulthandler"`
		PythonCurrent      string                                               `json:"python_current"`
		PythonNote         string                                               `json:"python_note"`
		Native             map[string][]struct{ Module, Offset, Symbol string } `json:"native"`
		NativeSource       string                                               `json:"native_source"`
		NativeNote         string                                               `json:"native_note"`
		Signature          string                                               `json:"signature"`
		SignatureFrom      string                                               `json:"signature_from"`
	} `json:"stacks"`
}

// frozenUnderSupervisor SIGSTOPs each new kite process the supervisor
// starts (its pid file names it), so that every restart finds a wedged
// pagekite.py; it stops when done closes. It freezes each one idle, every
// thread waiting in a system call (freeze, thaw and retry otherwise): a
// thread stopped in the middle of its work would be caught in another
// state each time, and the same wedge must give the same signature.
func frozenUnderSupervisor(t *testing.T, pidFile string, done <-chan struct{}) {
	t.Helper()
	stopped := map[int]bool{}
	go func() {
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			select {
			case <-done:
				return
			default:
			}
			b, err := os.ReadFile(pidFile)
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil || pid == 0 || stopped[pid] {
				continue
			}
			// Let it start its threads and connect first.
			time.Sleep(1500 * time.Millisecond)
			freezeIdle(pid)
			stopped[pid] = true
		}
	}()
}

// freezeIdle SIGSTOPs pid when it is idle: its main thread waits in
// epoll, every other thread in a lock or a sleep (not connecting a tunnel,
// which a slow start catches), none runs or waits for the interpreter lock
// (a thread that runs holds it), and the stop caught every thread in the
// system call it was waiting in before. It tries at most 100 times and
// leaves pid stopped whatever the last try found. It goes by kernel names
// (wchan) and compares syscalls as stacks.ReadThreads gives them, so that
// it holds on any machine and GOARCH.
func freezeIdle(pid int) {
	for try := 0; ; try++ {
		before := threadsOf(pid)
		quiet := len(before) > 0 && idleWait(before[pid].Wchan, "epoll", "ep_poll")
		for _, th := range before {
			quiet = quiet && th.State == "S" && th.Syscall != "none" && th.Syscall != "running" &&
				idleWait(th.Wchan, "futex", "nanosleep", "epoll", "ep_poll")
		}
		if !quiet && try < 100 {
			time.Sleep(time.Duration(10+try) * time.Millisecond)
			continue
		}
		_ = syscall.Kill(pid, syscall.SIGSTOP)
		var after map[int]stacks.Thread
		for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			after = threadsOf(pid)
			stopped := len(after) > 0
			for _, th := range after {
				stopped = stopped && th.State == "T"
			}
			if stopped {
				break
			}
		}
		same := len(after) == len(before)
		for tid, th := range after {
			same = same && before[tid].Syscall == th.Syscall
		}
		if same || try >= 100 {
			return
		}
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
}

// idleWait: wchan, a kernel function a thread sleeps in, is one of waits.
func idleWait(wchan string, waits ...string) bool {
	for _, w := range waits {
		if strings.Contains(wchan, w) {
			return true
		}
	}
	return false
}

// threadsOf is pid's threads by tid (none when it cannot be read).
func threadsOf(pid int) map[int]stacks.Thread {
	threads, _ := stacks.ReadThreads(pid)
	out := make(map[int]stacks.Thread, len(threads))
	for _, th := range threads {
		out[th.TID] = th
	}
	return out
}

// TestReportStacksRealPagekite: two real Debian pagekite.py processes
// under respawning supervisors, probed through a relay that never sees
// them (kite-down), are restarted by the daemon (in-process, the real
// wiring), twice each, and every report names where pagekite.py was, in
// Python, read from its memory before the kill.
//
// "fh" runs with PYTHONFAULTHANDLER=1 and is not stopped: for each thread
// that did not run between the read and the kill (ran_after_read false:
// its run time in schedstat unchanged), the frames read from memory equal
// the traceback faulthandler printed at the SIGSEGV (same thread id, file,
// function and line, innermost first); at least the threads blocked in
// pagekite.py's own waits (queues, locks) are compared. "plain" runs as
// Debian's unit runs it, without faulthandler, and is wedged (SIGSTOP,
// idle): its reports have the Python stacks all the same, the signature
// from them, the same for both restarts, and the daemon warns of nothing.
func TestReportStacksRealPagekite(t *testing.T) {
	bin := pktest.PagekiteBinary(t)
	pktest.RequireRoot(t)
	if os.Getenv("PYTHONFAULTHANDLER") != "" {
		t.Fatal("PYTHONFAULTHANDLER is set in the test's environment: unset it")
	}
	relayA := pktest.StartRelay(t)
	relayB := pktest.StartRelay(t)
	web := pktest.StartWebServer(t)
	dir := t.TempDir()
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })

	type inst struct {
		name, pidFile, logFile string
		kite                   pktest.Service
		sup                    *pktest.Supervisor
	}
	insts := []*inst{{name: "fh"}, {name: "plain"}}
	for _, in := range insts {
		in.pidFile, in.logFile = filepath.Join(dir, in.name+".pid"), filepath.Join(dir, in.name+".log")
		in.kite = pktest.HTTPService(in.name+"."+pktest.RelayDomain, web)
		env := slices.Clone(os.Environ())
		if in.name == "fh" {
			env = append(env, "PYTHONFAULTHANDLER=1")
		}
		in.sup = pktest.Supervise(t, append(pktest.KiteArgv(bin, relayA, in.logFile, in.kite), "--pidfile="+in.pidFile),
			pktest.SuperviseOptions{MaxRestarts: 4, Dir: dir, Env: env})
		waitPID(t, in.pidFile, 20*time.Second)
		if in.name == "plain" {
			frozenUnderSupervisor(t, in.pidFile, done)
		}
	}

	var body strings.Builder
	fmt.Fprintf(&body, `
[probe]
interval = "2s"
jitter = 0.0
timeout = "1500ms"
[policy]
failure_threshold = 1
grace_period = "1s"
cooldown = "3s"
max_cooldown = "3s"
max_restarts = 2
restart_window = "1h"
min_process_age = "0s"
startup_delay = "2s"
[restart]
unit = ""
diagnostics = false
kill_timeout = "5s"
respawn_timeout = "20s"
[report]
enabled = false
`)
	for _, in := range insts {
		fmt.Fprintf(&body, "[[pagekite]]\nname = %q\npidfile = %q\nlog_file = %q\n", in.name, in.pidFile, in.logFile)
		fmt.Fprintf(&body, "[[kite]]\nname = %q\nurl = \"http://%s/\"\nconnect_to = %q\npagekite = %q\n", in.kite.Name, in.kite.Name, relayB.Addr, in.name)
	}
	path := writeConfig(t, body.String())
	d := runInProcess(t, path)

	deadline := time.Now().Add(90 * time.Second)
	for (insts[0].sup.Restarts() < 2 || insts[1].sup.Restarts() < 2) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	state := filepath.Join(filepath.Dir(path), "state")
	var bundles []report.Bundle
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if bundles, _ = report.Bundles(filepath.Join(state, "reports")); len(bundles) >= 4 {
			break
		}
	}
	reports := map[string][]stacksReport{}
	for _, b := range bundles {
		var rep stacksReport
		raw := tarMember(t, b.Path, report.JSONMember)
		if err := json.Unmarshal(raw, &rep); err != nil {
			t.Fatalf("%s: %v", b.Path, err)
		}
		var who struct {
			Instance string `json:"pagekite_instance"`
		}
		_ = json.Unmarshal(raw, &who)
		reports[who.Instance] = append(reports[who.Instance], rep)
		if len(reports[who.Instance]) == 1 {
			t.Logf("one real report.json's stacks (%s, %s):\n%s", who.Instance, b.Path, indentStacks(raw))
		}
	}
	if len(reports["fh"]) != 2 || len(reports["plain"]) != 2 {
		t.Fatalf("reports: fh %d, plain %d; want 2 each (supervisor restarts %d, %d)",
			len(reports["fh"]), len(reports["plain"]), insts[0].sup.Restarts(), insts[1].sup.Restarts())
	}

	for _, rep := range reports["fh"] {
		s := rep.Stacks
		if rep.Schema != report.Schema || s == nil {
			t.Fatalf("fh report: schema %d, stacks %v; want schema %d with stacks", rep.Schema, s, report.Schema)
		}
		checkMemoryStacks(t, "fh", rep)
		if len(s.PythonFaulthandler) == 0 || s.PythonCurrent == "" || !strings.HasPrefix(s.Faulthandler, "on:") {
			t.Fatalf("fh: faulthandler %q, its tracebacks %v; want them beside the stacks read from memory", s.Faulthandler, s.PythonFaulthandler)
		}
		dumped := map[string]stacks.PyThread{}
		for _, th := range s.PythonFaulthandler {
			dumped[th.ID] = th
		}
		compared, waiting := 0, 0
		for _, th := range s.Python {
			fh, ok := dumped[th.ID]
			switch {
			case !ok:
				t.Errorf("fh: thread %s read from memory is not in faulthandler's dump", th.ID)
				continue
			case th.RanAfterRead:
				t.Logf("fh: thread %s ran between the read and the kill: not compared", th.ID)
				continue
			}
			compared++
			if !slices.Equal(th.Frames, fh.Frames[:min(len(fh.Frames), len(th.Frames))]) || len(fh.Frames) < len(th.Frames) {
				t.Errorf("fh: thread %s read from memory %v, faulthandler printed %v", th.ID, th.Frames, fh.Frames)
			}
			if len(th.Frames) > 0 && strings.Contains(th.Frames[len(th.Frames)-1].File, "threading.py") {
				waiting++ // a thread of pagekite.py's own, not the main one
			}
		}
		if compared < 2 || waiting < 1 {
			t.Errorf("fh: %d threads compared (%d of pagekite's own threads); want at least 2, one of its waiting threads", compared, waiting)
		}
	}

	var sigs []string
	for _, rep := range reports["plain"] {
		s := rep.Stacks
		checkMemoryStacks(t, "plain", rep)
		for _, th := range s.Threads {
			if th.State != "T" {
				t.Errorf("plain: thread %+v, want state T (stopped)", th)
			}
		}
		if len(s.PythonFaulthandler) != 0 || !strings.HasPrefix(s.Faulthandler, "off:") {
			t.Errorf("plain: faulthandler %q with tracebacks %v; want off, none", s.Faulthandler, s.PythonFaulthandler)
		}
		sigs = append(sigs, s.Signature)
	}
	// Read from memory while it was stopped, idle, the same wedge gives
	// the same frames, and so the same signature.
	if sigs[0] != sigs[1] {
		for i, rep := range reports["plain"] {
			t.Logf("plain report %d: python %v", i, rep.Stacks.Python)
		}
		t.Errorf("the same wedge twice gave signatures %q and %q, want one", sigs[0], sigs[1])
	}
	if strings.Contains(d.out.String(), "python stacks unreadable") {
		t.Error("the daemon warned that python stacks are unreadable; it read them")
	}
}

// checkMemoryStacks checks a report's Python stacks were read from
// pagekite.py's memory: every thread with its TID and frames, some in
// pagekite's own modules, and the signature made from them.
func checkMemoryStacks(t *testing.T, name string, rep stacksReport) {
	t.Helper()
	s := rep.Stacks
	if s == nil {
		t.Fatalf("%s: no stacks", name)
	}
	if s.PythonSource != "memory" || !strings.HasPrefix(s.PythonVersion, "3.") || len(s.Python) < 2 || len(s.Python) != len(s.Threads) {
		t.Fatalf("%s: python from %q (CPython %q), %d threads of %d, note %q; want every thread read from memory",
			name, s.PythonSource, s.PythonVersion, len(s.Python), len(s.Threads), s.PythonNote)
	}
	own := false
	for _, th := range s.Python {
		if th.NativeID <= 0 || len(th.Frames) == 0 {
			t.Errorf("%s: thread %+v, want a TID and frames", name, th)
		}
		for _, f := range th.Frames {
			own = own || strings.Contains(f.File, "/pagekite/") && f.Function != "" && f.Line > 0
		}
	}
	if !own {
		t.Errorf("%s: no frame in pagekite's own modules: %v", name, s.Python)
	}
	if s.SignatureFrom != "python" || len(s.Signature) != 32 {
		t.Errorf("%s: signature %q from %q, want 32 hex digits from the python frames", name, s.Signature, s.SignatureFrom)
	}
}

// indentStacks is report.json's stacks, indented, for the test log.
func indentStacks(raw []byte) string {
	var rep struct {
		Stacks json.RawMessage `json:"stacks"`
	}
	_ = json.Unmarshal(raw, &rep)
	var b bytes.Buffer
	_ = json.Indent(&b, rep.Stacks, "", "  ")
	return b.String()
}

// TestReportNativeStacksDeadlockedPagekitec: the deadlocked C stand-in for
// pagekitec (pktest.BuildDeadlocked: pagekitec cannot be installed here),
// under a respawning supervisor and probed through a real relay that
// never sees it, is restarted by the daemon: the report's threads are
// both in futex, its native frames (eu-stack, the first installed tool)
// name both deadlocked functions and hold no argument value, and the
// signature comes from them.
func TestReportNativeStacksDeadlockedPagekitec(t *testing.T) {
	pktest.RequireRoot(t)
	pktest.RequireProgram(t, "eu-stack", "apt-get install -y elfutils")
	relay := pktest.StartRelay(t)
	dir := t.TempDir()
	bin := pktest.BuildDeadlocked(t, dir)
	const kite = "c." + pktest.RelayDomain
	sup := pktest.Supervise(t, []string{bin, "80", "http", kite, "80", "SECRET"}, pktest.SuperviseOptions{MaxRestarts: 2, Dir: dir})
	pktest.WaitFutex(t, sup.PID(), 2)

	path := writeConfig(t, fmt.Sprintf(`
[probe]
interval = "2s"
jitter = 0.0
timeout = "1500ms"
[policy]
failure_threshold = 1
grace_period = "1s"
max_restarts = 1
min_process_age = "0s"
startup_delay = "0s"
[restart]
unit = ""
diagnostics = false
kill_timeout = "5s"
respawn_timeout = "10s"
[report]
enabled = false
[[pagekite]]
name = "c"
kind = "pagekitec"
process_match = %q
[[kite]]
name = %q
url = "http://%s/"
connect_to = %q
pagekite = "c"
`, "^"+regexp.QuoteMeta(bin)+" ", kite, kite, relay.Addr))
	runInProcess(t, path)

	state := filepath.Join(filepath.Dir(path), "state")
	var bundles []report.Bundle
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end) && len(bundles) == 0; time.Sleep(200 * time.Millisecond) {
		bundles, _ = report.Bundles(filepath.Join(state, "reports"))
	}
	if len(bundles) == 0 {
		t.Fatalf("no report (supervisor exits %q)", sup.Exits())
	}
	raw := tarMember(t, bundles[0].Path, report.JSONMember)
	t.Logf("report.json's stacks:\n%s", indentStacks(raw))
	if strings.Contains(string(raw), pktest.DeadlockSecret) {
		t.Errorf("report.json holds the deadlocked functions' argument %q", pktest.DeadlockSecret)
	}
	var rep stacksReport
	if err := json.Unmarshal(raw, &rep); err != nil || rep.Stacks == nil {
		t.Fatalf("report.json: %v, stacks %v", err, rep.Stacks)
	}
	s := rep.Stacks
	futex := 0
	for _, th := range s.Threads {
		if pktest.SyscallIs(t, bin, th.Syscall, "futex") {
			futex++
		}
	}
	if len(s.Threads) != 2 || futex != 2 {
		t.Errorf("threads %+v, want both in futex", s.Threads)
	}
	found := map[string]bool{}
	for _, frames := range s.Native {
		for _, f := range frames {
			found[f.Symbol] = true
		}
	}
	if s.NativeSource != "eu-stack" || len(s.Native) != 2 || !found["pk_lock_tunnels"] || !found["pk_lock_manager"] {
		t.Errorf("native stacks from %q: %v (note %q); want two threads naming pk_lock_tunnels and pk_lock_manager", s.NativeSource, s.Native, s.NativeNote)
	}
	if s.SignatureFrom != "native" || s.Signature == "" || len(s.Python) != 0 {
		t.Errorf("signature %q from %q, python %v; want a native signature and no python", s.Signature, s.SignatureFrom, s.Python)
	}
}
