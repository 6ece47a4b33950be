//go:build bench

package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/pymem"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// manyThreads is a CPython program with 64 threads, each blocked a few
// calls deep; it prints its PID when they all wait.
const manyThreads = `
import os, threading
ready, stop = threading.Semaphore(0), threading.Event()
def leaf(n):
    ready.release()
    stop.wait()
def middle(n):
    leaf(n)
for i in range(64):
    threading.Thread(target=middle, args=(i,), daemon=True).start()
for i in range(64):
    ready.acquire()
print(os.getpid(), flush=True)
stop.wait()
`

// startGrandchild starts argv through a shell, so that it is not the
// bench's own child (pymem holds no process of the reader's own children
// still, as PageKite is never pkwatchdogd's), and returns its PID, which
// it writes on stdout as its first line (printPID), or the shell's
// background job's otherwise. It is killed by PID at the end.
func startGrandchild(t *testing.T, printPID bool, argv ...string) int {
	t.Helper()
	script := `"$@" >/dev/null 2>&1 & echo $!; wait`
	if printPID {
		script = `"$@" & wait`
	}
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, "sh"}, argv...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() { l, _ := bufio.NewReader(out).ReadString('\n'); line <- l }()
	var pid int
	select {
	case l := <-line:
		pid, _ = strconv.Atoi(strings.TrimSpace(l))
	case <-time.After(30 * time.Second):
	}
	if pid <= 0 {
		_ = cmd.Process.Kill()
		t.Fatalf("%v gave no PID", argv)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL); _ = cmd.Wait() })
	return pid
}

// quantile is the q-quantile of ds (sorted in place).
func quantile(ds []time.Duration, q float64) time.Duration {
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

// readTimes reads pid's Python stacks n times and returns each read's
// time and how long the process was held.
func readTimes(t *testing.T, pid, n int) (took, held []time.Duration, last *pymem.Stacks) {
	t.Helper()
	for i := 0; i < n; i++ {
		s, err := pymem.Read(context.Background(), pid)
		if err != nil {
			t.Fatalf("Read(%d) = %v", pid, err)
		}
		took, held, last = append(took, s.Took), append(held, s.HeldFor), s
		time.Sleep(20 * time.Millisecond) // let it run between reads, as it would
	}
	return took, held, last
}

// TestStacksRead measures what reading Python stacks from memory costs,
// side by side with attaching gdb or eu-stack for native frames (the
// fallback the daemon had before): a real pagekite.py (a relay, idle)
// and a 64-thread program, BENCH_STACKS_RUNS (50) reads each. Target:
// pagekite.py held still under 50 ms (p99).
func TestStacksRead(t *testing.T) {
	pktest.RequireRoot(t)
	runs := envInt(t, "BENCH_STACKS_RUNS", 50)
	dir := t.TempDir()
	relay := startGrandchild(t, false, relayArgv(t, pktest.FreePort(t), "s3cret", filepath.Join(dir, "relay.log"))...)
	for end := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if ts, _ := stacks.ReadThreads(relay); len(ts) >= 3 || time.Now().After(end) {
			break
		}
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal(err)
	}
	many := startGrandchild(t, true, py, "-c", manyThreads)

	for _, c := range []struct {
		name string
		pid  int
	}{{"pagekite", relay}, {"64-threads", many}} {
		took, held, s := readTimes(t, c.pid, runs)
		var native []time.Duration
		tool := "none"
		for i := 0; i < 3; i++ {
			start := time.Now()
			_, tl, err := stacks.Native(context.Background(), c.pid, 30*time.Second)
			if err != nil {
				break
			}
			native, tool = append(native, time.Since(start)), tl
		}
		p99held := quantile(held, 0.99)
		ratio := "no stack tool installed"
		if len(native) > 0 {
			ratio = fmt.Sprintf("%s attach p50 %v: %.0fx the read", tool, quantile(native, 0.5).Round(time.Millisecond),
				float64(quantile(native, 0.5))/float64(quantile(took, 0.5)))
		}
		emit(t, "stacks-read-"+c.name, "CPython %s, %d threads, %d bytes: read p50 %v p99 %v, held p50 %v p99 %v (%d runs); %s; target held p99 <50ms %s",
			s.Version, len(s.Threads), s.Bytes, quantile(took, 0.5).Round(10*time.Microsecond), quantile(took, 0.99).Round(10*time.Microsecond),
			quantile(held, 0.5).Round(10*time.Microsecond), p99held.Round(10*time.Microsecond), runs, ratio, met(c.name != "pagekite" || p99held < 50*time.Millisecond))
	}
	if b := os.Getenv("PKWATCHDOGD_BIN"); b != "" {
		if st, err := os.Stat(b); err == nil {
			emit(t, "stacks-binary", "%s: %d bytes (%.2f MiB) with the memory reader", filepath.Base(b), st.Size(), float64(st.Size())/(1<<20))
		}
	}
}
