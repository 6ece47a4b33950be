package stacks

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// TestReadThreadsDeadlocked: the deadlocked stand-in's two threads are
// both in futex (by name, from this build's syscall table, when the
// stand-in is built for this build's machine), sleeping.
func TestReadThreadsDeadlocked(t *testing.T) {
	bin := pktest.BuildDeadlocked(t, t.TempDir())
	pid := pktest.StartDeadlocked(t, bin, "dl.kite.test")
	threads, err := ReadThreads(pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(threads) != 2 {
		t.Fatalf("ReadThreads = %+v, want 2 threads", threads)
	}
	for _, th := range threads {
		if th.State != "S" || !pktest.SyscallIs(t, bin, th.Syscall, "futex") || !strings.Contains(th.Wchan, "futex") || th.Comm != "pagekitec" {
			t.Errorf("thread %+v: want pagekitec sleeping in futex", th)
		}
		if _, err := os.Stat("/proc/self/sched"); err == nil && th.LastRanMS == nil {
			t.Errorf("thread %d: no last_ran_ms_ago though the kernel keeps sched statistics", th.TID)
		}
	}
}

// TestReadThreadsStopped: a SIGSTOPped sleep is in state T, its syscall
// named.
func TestReadThreadsStopped(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	time.Sleep(100 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var threads []Thread
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		threads, _ = ReadThreads(cmd.Process.Pid)
		if len(threads) == 1 && threads[0].State == "T" {
			break
		}
	}
	if len(threads) != 1 || threads[0].State != "T" || threads[0].Comm != "sleep" {
		t.Fatalf("ReadThreads(stopped sleep) = %+v, want one thread in state T", threads)
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	if s := threads[0].Syscall; !pktest.SyscallIs(t, sleep, s, "clock_nanosleep", "nanosleep", "restart_syscall", "clock_nanosleep_time64") {
		t.Errorf("syscall = %q, want a sleep", s)
	}
	if _, err := ReadThreads(1 << 30); err == nil {
		t.Error("ReadThreads(no such pid) = nil error")
	}
}

func TestSyscallOf(t *testing.T) {
	for in, want := range map[string]string{"running": "running", "-1 0x7ffd 0x1": "none", "": "", "99999 0x1": "syscall 99999", "x": ""} {
		if got := syscallOf(in, true); got != want {
			t.Errorf("syscallOf(%q) = %q, want %q", in, got, want)
		}
	}
	if got := syscallOf("202 0x1", false); got != "syscall 202" {
		t.Errorf("syscallOf(another machine's 202) = %q, want a number only", got)
	}
	if !sameMachine("/proc/self/exe", "/proc/self/exe") || sameMachine("/proc/self/exe", "/etc/hostname") {
		t.Error("sameMachine: want true for itself, false for a non-ELF file")
	}
}

// TestNativeDeadlocked attaches the installed tools (eu-stack, gdb) to
// the real deadlocked stand-in: the frames name both deadlocked functions
// and nothing holds their argument.
func TestNativeDeadlocked(t *testing.T) {
	pktest.RequireRoot(t)
	dir := t.TempDir()
	bin := pktest.BuildDeadlocked(t, dir)
	for _, tool := range Tools {
		t.Run(tool, func(t *testing.T) {
			path := pktest.RequireProgram(t, tool, "apt-get install -y elfutils gdb")
			// Only this tool on PATH.
			only := t.TempDir()
			if err := os.Symlink(path, filepath.Join(only, tool)); err != nil {
				t.Fatal(err)
			}
			t.Setenv("PATH", only)
			pid := pktest.StartDeadlocked(t, bin, "dl.kite.test")
			start := time.Now()
			threads, used, err := Native(t.Context(), pid, 10*time.Second)
			if err != nil || used != tool {
				t.Fatalf("Native = %v, tool %q; want frames from %s", err, used, tool)
			}
			t.Logf("%s took %v", tool, time.Since(start).Round(time.Millisecond))
			found := map[string]bool{}
			for _, th := range threads {
				for _, f := range th.Frames {
					found[f.Symbol] = true
					if strings.Contains(f.Symbol+f.Module+f.Offset, pktest.DeadlockSecret) {
						t.Errorf("frame %+v holds the argument", f)
					}
				}
			}
			if len(threads) != 2 || !found["pk_lock_tunnels"] || !found["pk_lock_manager"] {
				t.Errorf("Native = %+v, want two threads naming pk_lock_tunnels and pk_lock_manager", threads)
			}
			// Detached: the process still runs, still deadlocked.
			pktest.WaitFutex(t, pid, 2)
		})
	}
}

// TestNativeToolHangsOrIsMissing: a tool that never answers is killed at
// the timeout; with none installed the error says what to install.
func TestNativeToolHangsOrIsMissing(t *testing.T) {
	dir := t.TempDir()
	// A stand-in for a hanging eu-stack (a shell script that sleeps, with
	// a child of its own): no real tool hangs on demand.
	script := "#!/bin/sh\nsleep 60 &\nsleep 60\n"
	if err := os.WriteFile(filepath.Join(dir, "eu-stack"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	sh, _ := exec.LookPath("sh")
	sl, _ := exec.LookPath("sleep")
	for _, p := range []string{sh, sl} {
		_ = os.Symlink(p, filepath.Join(dir, filepath.Base(p)))
	}
	t.Setenv("PATH", dir)
	start := time.Now()
	_, tool, err := Native(t.Context(), os.Getpid(), 300*time.Millisecond)
	if took := time.Since(start); err == nil || tool != "eu-stack" || took > 2*time.Second {
		t.Errorf("Native(hanging tool) = %v, %q after %v; want an error within about 300ms", err, tool, took)
	}
	t.Setenv("PATH", t.TempDir())
	if _, _, err := Native(t.Context(), os.Getpid(), time.Second); err != ErrNoTool {
		t.Errorf("Native(no tool) = %v, want ErrNoTool", err)
	}
}
