package pymem

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// tracerOf is pid's TracerPid (/proc/PID/status).
func tracerOf(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "TracerPid:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestHoldLetsGoAsFound: a read holds a running process with ptrace and
// leaves it running, untraced; a stopped one is read as it is and stays
// stopped; a process of the reader's own is read running, and its exit is
// still its parent's to see.
func TestHoldLetsGoAsFound(t *testing.T) {
	pktest.RequireRoot(t)
	py := pktest.Pythons(t)[0].Path

	t.Run("running", func(t *testing.T) {
		k := startKnown(t, []string{py}, 3)
		s, err := Read(context.Background(), k.pid)
		if err != nil || !strings.HasPrefix(s.Held, HeldPtrace) {
			t.Fatalf("Read = %+v, %v; want held with ptrace", s, err)
		}
		waitIdle(t, k.pid)
		if tr := tracerOf(t, k.pid); tr != "0" {
			t.Errorf("TracerPid after the read = %s, want 0", tr)
		}
	})

	t.Run("stopped", func(t *testing.T) {
		k := startKnown(t, []string{py}, 3)
		if err := syscall.Kill(k.pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		for end := time.Now().Add(5 * time.Second); !allStopped(k.pid); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatal("SIGSTOP did not stop it in 5 s")
			}
		}
		s, err := Read(context.Background(), k.pid)
		if err != nil || s.Held != HeldStopped || len(s.Threads) != 5 {
			t.Fatalf("Read = %+v, %v; want 5 threads read as found, stopped", s, err)
		}
		time.Sleep(50 * time.Millisecond)
		if !allStopped(k.pid) {
			t.Error("the read let a stopped process run")
		}
		_ = syscall.Kill(k.pid, syscall.SIGCONT)
	})

	t.Run("own child", func(t *testing.T) {
		cmd := exec.Command(py, "testdata/known.py", "3")
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		if l, _ := bufio.NewReader(out).ReadString('\n'); !strings.HasPrefix(l, "ready") {
			t.Fatalf("known.py said %q", l)
		}
		waitIdle(t, cmd.Process.Pid)
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }() // the parent waits all along
		s, err := Read(context.Background(), cmd.Process.Pid)
		if err != nil || !strings.Contains(s.Held, "own child") || len(s.Threads) != 5 {
			t.Fatalf("Read = %+v, %v; want 5 threads read running", s, err)
		}
		select {
		case err := <-exited:
			t.Fatalf("the parent's wait returned %v during the read", err)
		case <-time.After(100 * time.Millisecond):
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
				t.Errorf("the parent's wait = %v, want killed by SIGTERM", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("the parent's wait did not return in 5 s")
		}
	})
}

// TestReadNotPython: a process that is no CPython, and one that is gone,
// give a clear error.
func TestReadNotPython(t *testing.T) {
	pktest.RequireRoot(t)
	cmd := exec.Command("/bin/sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if _, err := Read(context.Background(), cmd.Process.Pid); err == nil || !strings.Contains(err.Error(), "not a CPython process") {
		t.Errorf("Read(sleep) = %v, want not a CPython process", err)
	}
	if _, err := Check(cmd.Process.Pid); err == nil {
		t.Error("Check(sleep) = nil, want an error")
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if _, err := Read(context.Background(), cmd.Process.Pid); err == nil {
		t.Error("Read(gone) = nil, want an error")
	}
}

// TestReadNotDumpable: a pagekite.py that dropped root with --runas
// (setuid in the process: not dumpable, as Debian's unit runs it) is read
// all the same, by root.
func TestReadNotDumpable(t *testing.T) {
	pktest.RequireRoot(t)
	py := pktest.Pythons(t)[0].Path
	k := startKnown(t, []string{"/usr/bin/env", "KNOWN_RUNAS=daemon", py}, 80)
	b, err := os.ReadFile("/proc/" + strconv.Itoa(k.pid) + "/status")
	if err != nil || !strings.Contains(string(b), "\nUid:\t1\t1\t1\t1\n") {
		t.Fatalf("known.py's uids: %v, want daemon's (1)", err)
	}
	readMatchesDump(t, k)
}
