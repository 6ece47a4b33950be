package child

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestEnv(t *testing.T) {
	in := []string{"PATH=/bin", "NOTIFY_SOCKET=/run/x", "WATCHDOG_USEC=1", "WATCHDOG_PID=2", "LISTEN_FDS=1", "LISTEN_PID=3", "DEBUGINFOD_URLS=https://debuginfod.debian.net", "HOME=/root"}
	orig := slices.Clone(in)
	want := []string{"PATH=/bin", "HOME=/root"}
	if got := Env(in); !slices.Equal(got, want) {
		t.Errorf("Env(%q) = %q, want %q", in, got, want)
	}
	if !slices.Equal(in, orig) {
		t.Errorf("Env modified its argument: %q", in)
	}
}

func TestRunEnvIsFiltered(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "/run/systemd/notify")
	t.Setenv("DEBUGINFOD_URLS", "https://example.invalid")
	out, err := Run(context.Background(), Cmd{Argv: []string{"env"}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out.Stdout); strings.Contains(s, "NOTIFY_SOCKET") || strings.Contains(s, "DEBUGINFOD_URLS") || !strings.Contains(s, "PATH=") {
		t.Errorf("child environment = %q, want PATH and neither NOTIFY_SOCKET nor DEBUGINFOD_URLS", s)
	}
}

func TestRunBoundsOutput(t *testing.T) {
	// 8 MB written; 1 KiB kept, the first or the last.
	argv := []string{"sh", "-c", "echo first; head -c 8000000 /dev/zero | tr '\\0' x; echo; echo last"}
	for _, last := range []bool{false, true} {
		out, err := Run(context.Background(), Cmd{Argv: argv, Timeout: 20 * time.Second, MaxOutput: 1024, KeepLast: last})
		if err != nil {
			t.Fatal(err)
		}
		s := string(out.Stdout)
		if len(s) != 1024 || !out.Cut {
			t.Errorf("KeepLast=%v: kept %d bytes, cut %v; want 1024, true", last, len(s), out.Cut)
		}
		if want := "first\n"; !last && !strings.HasPrefix(s, want) {
			t.Errorf("KeepLast=false: output starts %q, want %q", s[:10], want)
		}
		if want := "\nlast\n"; last && !strings.HasSuffix(s, want) {
			t.Errorf("KeepLast=true: output ends %q, want %q", s[len(s)-10:], want)
		}
	}
	out, err := Run(context.Background(), Cmd{Argv: []string{"echo", "short"}, Timeout: 5 * time.Second, MaxOutput: 1024, KeepLast: true})
	if err != nil || string(out.Stdout) != "short\n" || out.Cut {
		t.Errorf("echo short = %q, cut %v, %v; want \"short\\n\", false, nil", out.Stdout, out.Cut, err)
	}
}

// TestRunKillsTheGroup: a program that hangs, with a child of its own
// that keeps the output open, is killed at the deadline, both of them.
func TestRunKillsTheGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := dir + "/grandchild"
	start := time.Now()
	_, err := Run(context.Background(), Cmd{
		Argv:    []string{"sh", "-c", "sleep 60 & echo $! > " + pidFile + "; wait"},
		Timeout: 300 * time.Millisecond, KillGroup: true,
	})
	took := time.Since(start)
	if !errors.Is(err, ErrTimedOut) {
		t.Errorf("Run(hanging) = %v, want ErrTimedOut", err)
	}
	if took > 3*time.Second {
		t.Errorf("Run(hanging) took %v, want about the 300ms deadline", took)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			break
		}
		if st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(st), ") Z ") {
			break // killed, waiting for init to reap it
		}
		if time.Now().After(end) {
			t.Fatalf("the grandchild %d outlived the deadline", pid)
		}
	}
}

func TestRunErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Run(ctx, Cmd{Argv: []string{"no-such-program-pkw"}, Timeout: time.Second}); err == nil || !strings.Contains(err.Error(), "no-such-program-pkw") {
		t.Errorf("Run(missing) = %v, want an error naming it", err)
	}
	_, err := Run(ctx, Cmd{Argv: []string{"sh", "-c", "echo oops >&2; exit 3"}, Timeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "exit status 3: oops") {
		t.Errorf("Run(failing) = %v, want exit status 3 with its stderr", err)
	}
	if _, err := Run(ctx, Cmd{Argv: []string{"true"}}); err == nil {
		t.Error("Run without a timeout succeeded, want an error")
	}
	if _, err := Run(ctx, Cmd{}); err == nil {
		t.Error("Run(empty) succeeded, want an error")
	}
}
