package action

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// TestRestartStacks: a restart reads the threads of the real process
// before its signals; a stack tool that hangs delays the kill by
// StacksTimeout at most and the note says so; none installed, or
// restart.stacks = "off", and the note says that.
func TestRestartStacks(t *testing.T) {
	_, kite := fakeKite(t)
	m := pathMatch(kite)
	hang := t.TempDir()
	// A stand-in for a stack tool that hangs (no real one does on demand):
	// a script named eu-stack that sleeps, with a child of its own.
	if err := os.WriteFile(filepath.Join(hang, "eu-stack"), []byte("#!/bin/sh\nsleep 60 &\nsleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"sh", "sleep"} {
		full, err := exec.LookPath(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(full, filepath.Join(hang, p)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		path    string
		off     bool
		noteHas string
	}{
		{"tool hangs", hang, false, "timed out"},
		{"no tool", t.TempDir(), false, "install elfutils"},
		{"off", hang, true, `restart.stacks = "off"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path)
			sup := pktest.Supervise(t, []string{kite, "60"}, pktest.SuperviseOptions{})
			waitExec(t, sup.PID(), m)
			opts := testOptions(m)
			opts.StacksTimeout = 300 * time.Millisecond
			opts.AttachStacks = !tt.off
			start := time.Now()
			res := New(zapNop(), opts).Restart(t.Context(), "a.kite.test")
			if res.Outcome != OutcomeRestarted {
				t.Fatalf("Restart() = %q (%s), want restarted", res.Outcome, res.Reason)
			}
			if took := res.Started.Sub(start); took > 2*time.Second {
				t.Errorf("the kill came %v after the restart began, want within StacksTimeout (300ms) and a little", took)
			}
			s := res.Stacks
			if s == nil || len(s.Threads) != 1 || s.Threads[0].Comm != "pagekitec" || s.PID != res.PID {
				t.Fatalf("Stacks = %+v, want the one thread of pid %d", s, res.PID)
			}
			if !strings.Contains(s.NativeNote, tt.noteHas) || len(s.Native) != 0 {
				t.Errorf("NativeNote = %q, want it to say %q", s.NativeNote, tt.noteHas)
			}
		})
	}
}

// TestReadPythonOnlyTheProvenProcess: the memory of a PID that is no
// longer the process the restart proved (its start time differs: the PID
// was reused) is neither held nor read.
func TestReadPythonOnlyTheProvenProcess(t *testing.T) {
	c := exec.Command("/bin/sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	p, err := readProcess(c.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	p.StartTicks-- // what the proof saw of an earlier process with this PID
	s := &stacks.Snapshot{PID: p.PID}
	New(zapNop(), DefaultOptions()).readPython(t.Context(), zapNop(), p, s)
	if !strings.Contains(s.PythonNote, "no longer the process the restart proved") || s.Python != nil {
		t.Errorf("readPython(reused PID) = note %q, %d threads; want not read", s.PythonNote, len(s.Python))
	}
}
