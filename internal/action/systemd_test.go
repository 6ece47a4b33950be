package action

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParseMainPID(t *testing.T) {
	tests := []struct {
		out     string
		want    int
		wantErr bool
	}{
		{"1234\n", 1234, false},
		{"0\n", 0, false},
		{"", 0, true},
		{"[not set]\n", 0, true},
		{"-1", 0, true},
	}
	for _, tt := range tests {
		got, err := parseMainPID(tt.out)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseMainPID(%q) = %d, %v, want %d (error %v)", tt.out, got, err, tt.want, tt.wantErr)
		}
	}
}

// requireNoSystemd skips when systemd runs here: these tests are about
// machines (like this one and CI containers) without it. The real
// systemd is exercised by test/e2e-systemd.sh.
func requireNoSystemd(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		t.Skip("SKIPPED: systemd is running here; this test is about machines without it (test/e2e-systemd.sh covers systemd)")
	}
}

// TestUnitMainPIDAsksSystemctl: the MainPID comes from systemctl. The
// systemctl here is a fake (a script in a temp dir first in PATH), because
// systemctl cannot answer without systemd as PID 1.
func TestUnitMainPIDAsksSystemctl(t *testing.T) {
	bin := t.TempDir()
	args := filepath.Join(bin, "args")
	script := "#!/bin/sh\necho \"$@\" > " + args + "\necho 4242\n"
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	got, err := unitMainPID(t.Context(), "pagekite.service")
	if err != nil || got != 4242 {
		t.Fatalf("unitMainPID(pagekite.service) = %d, %v, want 4242", got, err)
	}
	b, _ := os.ReadFile(args)
	if want := "show -p MainPID --value pagekite.service\n"; string(b) != want {
		t.Errorf("systemctl got args %q, want %q", b, want)
	}
}

// TestUnitLookupFailsCleanly uses the real systemctl (or none): with no
// systemd here, the lookup must fail quickly with errNoSystemd, and Find
// must fall through to the /proc scan.
func TestUnitLookupFailsCleanly(t *testing.T) {
	requireNoSystemd(t)
	start := time.Now()
	pid, err := unitMainPID(t.Context(), "pagekite.service")
	if !errors.Is(err, errNoSystemd) || pid != 0 {
		t.Errorf("unitMainPID(pagekite.service) = %d, %v, want errNoSystemd", pid, err)
	}
	if d := time.Since(start); d > systemdTimeout {
		t.Errorf("unitMainPID took %v, want a quick failure", d)
	}

	_, kite := fakeKite(t)
	cmd := startProc(t, kite, "60")
	waitExec(t, cmd.Process.Pid, pathMatch(kite))
	opts := testOptions(pathMatch(kite))
	opts.Unit = DefaultUnit
	p, err := New(zapNop(), opts).Find(t.Context())
	if err != nil || p.PID != cmd.Process.Pid {
		t.Errorf("Find() with unit %s and no systemd = %d, %v, want pid %d from the scan", DefaultUnit, p.PID, err, cmd.Process.Pid)
	}
}

// TestMethodSystemdFailsCleanly: method "systemd" without systemd
// fails with a clear error and the process is not signalled.
func TestMethodSystemdFailsCleanly(t *testing.T) {
	requireNoSystemd(t)
	_, kite := fakeKite(t)
	cmd := startProc(t, kite, "60")
	pid := cmd.Process.Pid
	waitExec(t, pid, pathMatch(kite))
	opts := testOptions(pathMatch(kite))
	opts.Method = MethodSystemd
	res := New(zapNop(), opts).Restart(t.Context(), "a.kite.test")
	if res.Outcome != OutcomeFailed || res.PID != pid || res.Reason == "" {
		t.Errorf("Restart(method systemd, no systemd) = %q pid %d %q, want %q pid %d with a reason", res.Outcome, res.PID, res.Reason, OutcomeFailed, pid)
	}
	if !alive(pid) {
		t.Errorf("pid %d died, want it untouched", pid)
	}
	if err := unix.Kill(pid, 0); err != nil {
		t.Errorf("kill(%d, 0) = %v, want the process there", pid, err)
	}
}

// TestMethodSystemdProvesMainPID: with method "systemd" and a pid file,
// the process killed is the proven one only when it is the unit's
// MainPID; when systemd names another process, nothing is killed. The
// systemctl is a fake (a script first in PATH), as above.
func TestMethodSystemdProvesMainPID(t *testing.T) {
	requireNoSystemd(t)
	for _, same := range []bool{false, true} {
		dir, kite := fakeKite(t)
		cmd := startProc(t, kite, "60")
		pid := cmd.Process.Pid
		waitExec(t, pid, pathMatch(kite))
		other := startProc(t, "sleep", "60").Process.Pid
		mainPID := other
		if same {
			mainPID = pid
		}
		pidFile := filepath.Join(dir, "kite.pid")
		if err := os.WriteFile(pidFile, []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		bin := t.TempDir()
		script := "#!/bin/sh\necho " + strconv.Itoa(mainPID) + "\n"
		if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
		opts := testOptions(pathMatch(kite))
		opts.Method, opts.Unit, opts.PIDFile = MethodSystemd, "pagekite.service", pidFile
		opts.RespawnTimeout = 100 * time.Millisecond
		res := New(zapNop(), opts).Restart(t.Context(), "a.kite.test")
		switch {
		case !same && (res.Outcome != OutcomeRefused || !alive(pid) || !alive(other)):
			t.Errorf("MainPID %d is not the pid file's %d: Restart = %q %q, alive %v/%v; want refused, both untouched",
				other, pid, res.Outcome, res.Reason, alive(pid), alive(other))
		case same && (alive(pid) || res.Outcome == OutcomeRefused || res.Outcome == OutcomeFailed):
			t.Errorf("MainPID is the pid file's %d: Restart = %q %q, alive %v; want it killed", pid, res.Outcome, res.Reason, alive(pid))
		}
		if !alive(other) {
			t.Errorf("the other process %d was killed", other)
		}
	}
}
