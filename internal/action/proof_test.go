package action

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// startCmd starts cmd; t.Cleanup kills it by PID and reaps it.
func startCmd(t *testing.T, cmd *exec.Cmd) *exec.Cmd {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// TestProofRefusesLookAlikes: processes whose command line looks like
// PageKite's but whose executable, script, owner or user is not are never
// proven, so never signalled.
func TestProofRefusesLookAlikes(t *testing.T) {
	pktest.RequireRoot(t)
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		pktest.PagekiteBinary(t) // pagekite.py needs python3: skip or fail alike
		t.Fatal("python3 not found although pagekite is installed")
	}
	// A world-readable dir, so that nobody can run the script in it.
	dir, err := os.MkdirTemp("", "pkwatchdogd-proof-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sleeper := "import time\ntime.sleep(60)\n"
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(sleeper), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	xpy := write("x.py", 0o644)
	own := filepath.Join(dir, "own")
	if err := os.Mkdir(own, 0o755); err != nil {
		t.Fatal(err)
	}
	nobodyScript := filepath.Join(own, "pagekite.py")
	if err := os.WriteFile(nobodyScript, []byte(sleeper), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(nobodyScript, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	writable := write("pagekite", 0o666)
	good := filepath.Join(t.TempDir(), "pagekite")
	if err := os.WriteFile(good, []byte(sleeper), 0o644); err != nil {
		t.Fatal(err)
	}
	notKite := filepath.Join(t.TempDir(), "notpagekite")
	sleep, _ := exec.LookPath("sleep")
	copyFile(t, sleep, notKite)

	asNobody := func(c *exec.Cmd) *exec.Cmd {
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		return c
	}
	// exec -a: argv[0] is whatever the caller says.
	execAs := func(argv0 string, argv ...string) *exec.Cmd {
		c := exec.Command(argv[0], argv[1:]...)
		c.Args = append([]string{argv0}, argv[1:]...)
		return c
	}
	tests := []struct {
		name string
		cmd  *exec.Cmd
		user string
		want string
	}{
		{"exec -a pagekite python3 x.py", execAs("pagekite", python, xpy), "", "not pagekite"},
		{"pagekite.py owned by nobody, run by nobody", asNobody(exec.Command(python, nobodyScript)), "", "not owned by root"},
		{"a pagekite script anyone may write", exec.Command(python, writable), "", "writable by group or others"},
		{"argv[0] pagekitec, another program", execAs("pagekitec", notKite, "60"), "", "neither pagekitec nor python"},
		{"the right script as the wrong user", exec.Command(python, good), "daemon", "not the expected uid"},
		{"--runas=daemon but running as root", exec.Command(python, good, "--runas=daemon:daemon"), "", "not the expected uid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := startCmd(t, tt.cmd)
			pid := cmd.Process.Pid
			waitArgv(t, pid, cmd.Args)
			opts := testOptions(regexp.MustCompile(`.`))
			opts.User = tt.user
			r := New(zapNop(), opts)
			_, err := r.Inspect(pid)
			if !errors.Is(err, ErrNotPageKite) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Inspect(%s) = %v, want ErrNotPageKite with %q", tt.name, err, tt.want)
			}
		})
	}
	// The control: the right script, owned by root, as the expected user.
	cmd := startCmd(t, exec.Command(python, good))
	waitArgv(t, cmd.Process.Pid, cmd.Args)
	opts := testOptions(regexp.MustCompile(`.`))
	opts.User = "root"
	if p, err := New(zapNop(), opts).Inspect(cmd.Process.Pid); err != nil || p.Kind != pagekite.Py || p.Script != good {
		t.Errorf("Inspect(python3 %s) = %+v, %v; want proven pagekite.py", good, p, err)
	}
}

// waitArgv waits up to 5s until pid's command line is argv.
func waitArgv(t *testing.T, pid int, argv []string) {
	t.Helper()
	want := strings.Join(argv, "\x00")
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if strings.TrimRight(string(b), "\x00") == want {
			return
		}
	}
	t.Fatalf("pid %d never ran %q", pid, argv)
}

// TestOtherPIDNamespace: a fake pagekitec as PID 1 of a PID namespace of
// its own (a container's PageKite) is not found by a scan; named by a pid
// file it may get the kill signal, but, PID 1 of its namespace, it is never
// SIGKILLed when it outlives it.
func TestOtherPIDNamespace(t *testing.T) {
	pktest.RequireRoot(t)
	dir, kite := fakeKite(t)
	cmd := exec.Command(kite, "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	startCmd(t, cmd)
	pid := cmd.Process.Pid
	waitExec(t, pid, pathMatch(kite))
	r := New(zapNop(), testOptions(pathMatch(kite)))
	if p, err := r.Find(t.Context()); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find() by scan = %d, %v; want nothing found (another PID namespace)", p.PID, err)
	}
	if _, err := r.Inspect(pid); !errors.Is(err, ErrNotPageKite) || !strings.Contains(err.Error(), "another PID namespace") {
		t.Errorf("Inspect(%d) = %v, want refused: another PID namespace", pid, err)
	}

	pidFile := filepath.Join(dir, "kite.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(pathMatch(kite))
	opts.PIDFile = pidFile
	opts.KillTimeout = 500 * time.Millisecond
	res := New(zapNop(), opts).Restart(t.Context(), "a.kite.test")
	// A namespace's init ignores signals it has no handler for, when they
	// come from an ancestor namespace: SIGSEGV does nothing to sleep.
	if res.Outcome != OutcomeFailed || !strings.Contains(res.Reason, "never SIGKILLed") || res.Escalated {
		t.Errorf("Restart(namespace init) = %q %q escalated %v, want failed, never SIGKILLed", res.Outcome, res.Reason, res.Escalated)
	}
	if !alive(pid) {
		t.Errorf("pid %d (PID 1 of its namespace) died, want it alive", pid)
	}
}
