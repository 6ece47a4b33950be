package pymem

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// TestReadHostileProcess: a real process named python3.11 whose
// _PyRuntime holds garbage, or points at itself everywhere (every chain
// a loop), is read within the bounds and gives a reason, never a panic
// or a hang.
func TestReadHostileProcess(t *testing.T) {
	pktest.RequireRoot(t)
	cc := pktest.RequireProgram(t, "gcc", "apt-get install -y gcc")
	for _, tt := range []struct {
		name, def string
		want      []string // any of these in the error or notes
	}{
		{"garbage", "-DGARBAGE", []string{"outside the process's readable memory"}},
		{"self", "-DSELF", []string{"loops", "unreadable"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "python3.11")
			if out, err := exec.Command(cc, tt.def, "-O1", "-rdynamic", "-o", bin, "testdata/hostile/python.c").CombinedOutput(); err != nil {
				t.Fatalf("gcc: %v\n%s", err, out)
			}
			cmd := exec.Command(bin)
			out, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			if l, _ := bufio.NewReader(out).ReadString('\n'); l != "ready\n" {
				t.Fatalf("it said %q", l)
			}
			start := time.Now()
			s, err := Read(context.Background(), cmd.Process.Pid)
			took := time.Since(start)
			all := ""
			if err != nil {
				all = err.Error()
			} else {
				all = s.Note
				for _, th := range s.Threads {
					all += " " + th.Note
				}
				if s.Bytes > MaxBytes || len(s.Threads) > 1 {
					t.Errorf("read %d bytes, %d threads", s.Bytes, len(s.Threads))
				}
			}
			found := false
			for _, w := range tt.want {
				found = found || strings.Contains(all, w)
			}
			if !found || took > Timeout+time.Second {
				t.Errorf("Read = %+v, %v in %v; want one of %q, within %v", s, err, took, tt.want, Timeout)
			}
			t.Logf("Read: %s (%v)", all, took)
		})
	}
}
