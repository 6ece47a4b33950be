package stacks

import (
	"os/exec"
	"testing"
	"time"
)

// TestMarkRan: a thread whose run time is what it was at the read did
// not run and is not marked; one whose run time changed, or that is gone,
// is (a sleeping process, whose one thread does not run meanwhile).
func TestMarkRan(t *testing.T) {
	c := exec.Command("/bin/sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	pid := c.Process.Pid
	time.Sleep(100 * time.Millisecond) // past its exec, asleep
	before := RunTimes(pid)
	if _, ok := before[pid]; !ok {
		t.Skipf("SKIPPED: no schedstat for pid %d: the kernel keeps no scheduler statistics", pid)
	}
	s := &Snapshot{PID: pid, PythonRunTimes: before, Python: []PyThread{{ID: "a", NativeID: pid}, {ID: "gone", NativeID: 1 << 30}}}
	MarkRan(s)
	if s.Python[0].RanAfterRead || !s.Python[1].RanAfterRead {
		t.Errorf("MarkRan(unchanged, gone) = %v, %v; want false, true", s.Python[0].RanAfterRead, s.Python[1].RanAfterRead)
	}
	s.PythonRunTimes = map[int]uint64{pid: before[pid] - 1, 1 << 30: 5}
	s.Python[0].RanAfterRead = false
	MarkRan(s)
	if !s.Python[0].RanAfterRead {
		t.Error("MarkRan(run time changed) = false, want true")
	}
}
