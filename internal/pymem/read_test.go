package pymem

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// known is a started testdata/known.py, ready to be read.
type known struct {
	// cmd is the shell that started it: known.py is its child, not the
	// test's, as PageKite is not pkwatchdogd's (pymem holds no process
	// of its own children still).
	cmd    *exec.Cmd
	pid    int
	stderr *bytes.Buffer
}

// startKnown starts testdata/known.py under python with faulthandler on,
// a recursion depth of depth, and waits (at most 20 s) for its "ready".
func startKnown(t *testing.T, python []string, depth int) *known {
	t.Helper()
	argv := append(append([]string{}, python...), "-X", "faulthandler", "testdata/known.py", fmt.Sprint(depth))
	cmd := exec.Command("/bin/sh", append([]string{"-c", `"$@" & wait $!`, "sh"}, argv...)...)
	k := &known{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = k.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	ready := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		ready <- l
	}()
	select {
	case l := <-ready:
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == "ready" {
			k.pid, _ = strconv.Atoi(f[1])
		}
		if k.pid <= 0 {
			_ = cmd.Process.Kill()
			t.Fatalf("%v said %q, want ready PID; stderr: %s", argv, l, k.stderr)
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%v not ready in 20 s", argv)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = syscall.Kill(k.pid, syscall.SIGKILL)
			_ = cmd.Wait()
		}
	})
	waitIdle(t, k.pid)
	return k
}

// dump kills known.py with SIGSEGV and returns faulthandler's threads.
func (k *known) dump(t *testing.T) []stacks.PyThread {
	t.Helper()
	if err := syscall.Kill(k.pid, syscall.SIGSEGV); err != nil {
		t.Fatal(err)
	}
	_ = k.cmd.Wait()
	py := stacks.ParsePython(strings.Split(k.stderr.String(), "\n"))
	if len(py) == 0 {
		t.Fatalf("no faulthandler dump in: %s", k.stderr)
	}
	return py
}

// waitIdle waits (at most 10 s) until every thread of pid sleeps in a
// system call (state S): after its "ready", the main thread of known.py
// still runs until it blocks in its read of stdin.
func waitIdle(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		threads, err := stacks.ReadThreads(pid)
		idle := err == nil && len(threads) > 0
		for _, th := range threads {
			idle = idle && th.State == "S"
		}
		if idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d not idle in 10 s: %+v (%v)", pid, threads, err)
		}
	}
}

// runTimes is each thread's time on a CPU so far (the first field of
// /proc/PID/task/TID/schedstat), by TID.
func runTimes(pid int) map[int]string {
	out := map[int]string{}
	for tid := range taskIDs(pid) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/schedstat", pid, tid))
		if err == nil {
			out[tid], _, _ = strings.Cut(string(b), " ")
		}
	}
	return out
}

// ranSince is the TIDs whose run time differs from before.
func ranSince(before, after map[int]string) map[int]bool {
	ran := map[int]bool{}
	for tid, v := range after {
		if before[tid] != v {
			ran[tid] = true
		}
	}
	return ran
}

// TestReadMatchesFaulthandler reads known.py's stacks from memory under
// Debian's python3.11 and every pyenv CPython, then kills it with
// SIGSEGV and compares with the tracebacks faulthandler printed: the
// same threads by id, the same file, function and line, innermost first.
// Every thread of known.py is blocked when it is read, so nothing runs
// between the read and the kill.
func TestReadMatchesFaulthandler(t *testing.T) {
	pktest.RequireRoot(t)
	for _, py := range pktest.Pythons(t) {
		t.Run(py.Name, func(t *testing.T) {
			readMatchesDump(t, startKnown(t, []string{py.Path}, 80))
		})
	}
}

// readMatchesDump reads k with Read, kills it with SIGSEGV and compares
// the read with faulthandler's dump; it returns the read.
func readMatchesDump(t *testing.T, k *known) *Stacks {
	t.Helper()
	pid := k.pid
	s, err := Read(context.Background(), pid)
	if err != nil {
		t.Fatalf("Read = %v", err)
	}
	// A thread interrupted in a blocking call restarts it when detached,
	// when the scheduler gets to it: that run is the read's, not the
	// program's, so it must be over before the run times are taken.
	waitIdle(t, pid)
	before := runTimes(pid)
	if !strings.HasPrefix(s.Held, HeldPtrace) {
		t.Errorf("Read held it as %q, want %s", s.Held, HeldPtrace)
	}
	ran := ranSince(before, runTimes(pid))
	want := k.dump(t)
	// Every thread of known.py waits without a timeout: none runs
	// between the read and the kill, and all are compared.
	if n := compare(t, s.Threads, want, ran); n != len(want) {
		t.Errorf("%d of %d threads compared: some ran after the read (%v)", n, len(want), ran)
	}
	t.Logf("CPython %s from %s, read by a %s reader: %d threads, %d bytes in %s (%s)",
		s.Version, s.File, runtime.GOARCH, len(s.Threads), s.Bytes, s.Took, s.Held)
	return s
}

// compare checks threads read from memory against faulthandler's dump;
// the frames of a thread in ran (it ran after the read) may differ.
func compare(t *testing.T, got, want []stacks.PyThread, ran map[int]bool) (compared int) {
	t.Helper()
	byID := map[string]stacks.PyThread{}
	for _, th := range got {
		byID[th.ID] = th
		if th.NativeID <= 0 {
			t.Errorf("thread %s: native id %d, want a TID", th.ID, th.NativeID)
		}
		if th.Note != "" {
			t.Errorf("thread %s: note %q", th.ID, th.Note)
		}
	}
	if len(got) != len(want) {
		t.Errorf("read %d threads, faulthandler %d", len(got), len(want))
	}
	deep := false
	for _, w := range want {
		g, ok := byID[w.ID]
		if !ok {
			t.Errorf("thread %s of faulthandler's dump was not read", w.ID)
			continue
		}
		if ran[g.NativeID] {
			t.Logf("thread %s (%d) ran after the read: its frames are not compared", w.ID, g.NativeID)
			continue
		}
		compared++
		n := min(len(w.Frames), MaxFrames)
		if len(g.Frames) != n {
			t.Errorf("thread %s: %d frames read, faulthandler %d (of %d)", w.ID, len(g.Frames), n, len(w.Frames))
		}
		for i := range min(n, len(g.Frames)) {
			if g.Frames[i] != w.Frames[i] {
				t.Errorf("thread %s frame %d = %+v, faulthandler %+v", w.ID, i, g.Frames[i], w.Frames[i])
			}
		}
		if g.FramesOmitted > 0 {
			deep = true
		}
	}
	if !deep {
		t.Errorf("no thread had frames left out past %d: the 80-deep recursion should", MaxFrames)
	}
	return compared
}
