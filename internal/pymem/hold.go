package pymem

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// How a read held the process.
const (
	HeldPtrace  = "ptrace"
	HeldStopped = "already stopped"
)

// holdWhile holds every thread of pid still while read runs, and lets
// them go as they were; held is how long that took, the read included. A process whose threads are all stopped already
// (SIGSTOP, a debugger) is read as it is, and stays stopped. Otherwise
// each thread is seized and interrupted with ptrace, which neither the
// process nor its parent sees (no SIGSTOP, no job-control stop a shell
// would act on), and detached after the read, with any signal that
// arrived meanwhile handed back to it. Where ptrace is refused (another
// tracer, a seccomp filter, no CAP_SYS_PTRACE), the process is read
// running, and how says so.
//
// A process that is pkwatchdogd's own child (a PageKite its
// start_command started) is read running too: its ptrace stops would be
// reported to pkwatchdogd's own wait for it, which would take them for
// an exit.
//
// ptrace ties a tracee to the thread that seized it, so the whole of it
// runs on one OS thread, which is let die afterwards rather than
// returned to the Go runtime: whatever could not be detached is then
// detached by the kernel.
func holdWhile(pid int, deadline time.Time, read func()) (how string, held time.Duration) {
	type result struct {
		how  string
		held time.Duration
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		start := time.Now()
		how := holdLocked(pid, deadline, read)
		done <- result{how, time.Since(start)}
	}()
	r := <-done
	return r.how, r.held
}

// holdLocked is holdWhile on its locked OS thread.
func holdLocked(pid int, deadline time.Time, read func()) string {
	if allStopped(pid) {
		read()
		return HeldStopped
	}
	if parentOf(pid) == os.Getpid() {
		read()
		return "not held (it is pkwatchdogd's own child): read while it ran"
	}
	held := map[int]unix.Signal{} // tid → signal to hand back at detach
	var refused error
	for round := 0; round < 3; round++ {
		fresh := 0
		for tid := range taskIDs(pid) {
			if _, ok := held[tid]; ok {
				continue
			}
			if err := unix.PtraceSeize(tid); err != nil {
				if !errors.Is(err, unix.ESRCH) && refused == nil {
					refused = err
				}
				continue
			}
			held[tid] = 0
			fresh++
			if err := unix.PtraceInterrupt(tid); err != nil && !errors.Is(err, unix.ESRCH) && refused == nil {
				refused = err
			}
		}
		if fresh == 0 {
			break // no thread was born meanwhile
		}
	}
	// A thread stops within microseconds of its interrupt, unless it
	// sleeps uninterruptibly (then it cannot move either): the wait is
	// short, so that the read has its time.
	if d := time.Now().Add(maxStopWait); d.Before(deadline) {
		deadline = d
	}
	stopped := waitStops(held, deadline)
	start := time.Now()
	read()
	took := time.Since(start)
	for tid, sig := range held {
		if stopped[tid] {
			// PTRACE_DETACH's data is the signal the thread resumes with.
			_, _, _ = unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_DETACH, uintptr(tid), 0, uintptr(sig), 0, 0)
		}
	}
	switch {
	case len(held) == 0 && refused != nil:
		return "not held (ptrace: " + refused.Error() + "): read while it ran"
	case refused != nil || len(stopped) < len(held):
		return fmt.Sprintf("%d of %d threads held with ptrace for %s", len(stopped), len(held), took.Round(time.Microsecond))
	}
	return fmt.Sprintf("%s, %d threads for %s", HeldPtrace, len(held), took.Round(time.Microsecond))
}

// maxStopWait bounds the wait for the threads' stops.
const maxStopWait = 250 * time.Millisecond

// waitStops waits until each seized thread reports its stop, or until
// deadline; it returns those that stopped. A thread stopped by a signal
// on its way keeps that signal, to have it back at detach.
func waitStops(held map[int]unix.Signal, deadline time.Time) map[int]bool {
	stopped := map[int]bool{}
	for time.Now().Before(deadline) && len(stopped) < len(held) {
		progress := false
		for tid := range held {
			if stopped[tid] {
				continue
			}
			var ws unix.WaitStatus
			got, err := unix.Wait4(tid, &ws, unix.WALL|unix.WNOHANG, nil)
			switch {
			case err != nil || (got == tid && (ws.Exited() || ws.Signaled())):
				delete(held, tid) // gone
			case got == tid && ws.Stopped():
				stopped[tid] = true
				if int(ws)>>16 == 0 {
					// A signal-delivery-stop, not the interrupt (whose
					// event is PTRACE_EVENT_STOP): the signal is owed.
					held[tid] = ws.StopSignal()
				}
				progress = true
			}
		}
		if !progress {
			time.Sleep(200 * time.Microsecond)
		}
	}
	return stopped
}

// allStopped reports whether every thread of pid is stopped (state T or
// t in /proc/PID/task/TID/stat).
func allStopped(pid int) bool {
	states := threadStates(pid)
	for _, st := range states {
		if st != 'T' && st != 't' {
			return false
		}
	}
	return len(states) > 0
}

// parentOf is pid's parent (0 when unknown).
func parentOf(pid int) int {
	f := strings.Fields(statTail("/proc/" + strconv.Itoa(pid) + "/stat")) // state, ppid, ...
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// settle waits (at most 5 ms) until no thread of pid runs: after the
// detach each thread runs to re-enter the system call it was
// interrupted in, which is not Python running.
func settle(pid int) {
	for i := 0; i < 50 && running(pid); i++ {
		time.Sleep(100 * time.Microsecond)
	}
}

// running reports whether a thread of pid is on a CPU (state R).
func running(pid int) bool {
	for _, st := range threadStates(pid) {
		if st == 'R' {
			return true
		}
	}
	return false
}

// threadStates is the state letter of each thread of pid, by TID; a
// thread that ended meanwhile is left out.
func threadStates(pid int) map[int]byte {
	out := map[int]byte{}
	for tid := range taskIDs(pid) {
		if t := statTail("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid) + "/stat"); t != "" {
			out[tid] = t[0]
		}
	}
	return out
}

// statTail is a stat file after its "(comm) ": the state letter first,
// then the numeric fields; "" when it cannot be read.
func statTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return ""
	}
	return s[i+2:]
}
