package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"golang.org/x/sys/unix"
)

func TestCoreGlob(t *testing.T) {
	f := coreFacts{pid: 42, uid: 1000, gid: 100, cwd: "/var/lib/pk", comm: "pagekite", exe: "/usr/bin/python3.11", hostname: "box", signal: 11, limit: -1}
	withPID := f
	withPID.usesPID = true
	noCwd := f
	noCwd.cwd = ""
	tests := []struct {
		pattern string
		f       coreFacts
		want    string
	}{
		{"core", f, "/var/lib/pk/core"},
		{"", f, "/var/lib/pk/core"},
		{"core", withPID, "/var/lib/pk/core.42"},
		{"core.%p", withPID, "/var/lib/pk/core.42"},
		{"/var/crash/%e.%p.%u.%g.%s.%h.%t", f, "/var/crash/pagekite.42.1000.100.11.box.*"},
		{"/cores/%E-%i-%d-%%-%c", f, "/cores/!usr!bin!python3.11-*-*-%-18446744073709551615"},
		{"/cores/core.%f.%P", f, "/cores/core.python3.11.42"},
		{"/c/a*b?[x]", f, `/c/a\*b\?\[x]`},
		{"core", noCwd, ""},
		{"/c/core.%", f, "/c/core.%"},
	}
	for _, tt := range tests {
		if got := coreGlob(tt.pattern, tt.f); got != tt.want {
			t.Errorf("coreGlob(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

func TestFindCoreFile(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	write := func(name string, size int, mtime time.Time) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	write("core.1.old", 10, now.Add(-time.Hour))
	write("core.1.new", 20, now)
	write("core.1.newer", 30, now.Add(time.Second))
	got := findCoreFile(filepath.Join(dir, "core.1.*"), now)
	if got == nil || got.Path != filepath.Join(dir, "core.1.newer") || got.Size != 30 {
		t.Errorf("findCoreFile(core.1.*) = %+v, want core.1.newer of 30 bytes", got)
	}
	if got := findCoreFile(filepath.Join(dir, "core.1.old"), now); got != nil {
		t.Errorf("findCoreFile(old core) = %+v, want nil", got)
	}
	if got := findCoreFile("", now); got != nil {
		t.Errorf("findCoreFile(\"\") = %+v, want nil", got)
	}
}

func TestParseCoredumpctl(t *testing.T) {
	out := `[{"time":1,"pid":7,"uid":0,"gid":0,"sig":11,"corefile":"missing","exe":"/usr/bin/python3.11","size":null},` +
		`{"time":2,"pid":42,"uid":0,"gid":0,"sig":11,"corefile":"present","exe":"/usr/bin/python3.11","size":123456}]`
	if got := parseCoredumpctl(out, 42); got == nil || got.Path != "coredumpctl:42" || got.Size != 123456 {
		t.Errorf("parseCoredumpctl(pid 42) = %+v, want coredumpctl:42 of 123456 bytes", got)
	}
	if got := parseCoredumpctl(out, 7); got != nil {
		t.Errorf("parseCoredumpctl(missing core) = %+v, want nil", got)
	}
	if got := parseCoredumpctl("No coredumps found.", 42); got != nil {
		t.Errorf("parseCoredumpctl(no JSON) = %+v, want nil", got)
	}
}

// TestRestartFindsRealCore kills a real process (a copy of sleep, RLIMIT_CORE
// raised with prlimit, working directory a temp dir) with SIGSEGV and
// expects the Result to name the core file the kernel wrote.
func TestRestartFindsRealCore(t *testing.T) {
	raw, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil {
		t.Fatal(err)
	}
	pattern := strings.TrimSpace(string(raw))
	if strings.HasPrefix(pattern, "|") || strings.HasPrefix(pattern, "/") || pattern == "" {
		t.Skipf("SKIPPED: core_pattern %q is not a relative file pattern; this test needs the core in its temp dir", pattern)
	}
	dir, kite := fakeKite(t)
	cmd := startProcIn(t, dir, kite, "60")
	pid := cmd.Process.Pid
	waitExec(t, pid, pathMatch(kite))
	if err := unix.Prlimit(pid, unix.RLIMIT_CORE, &unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}, nil); err != nil {
		t.Fatalf("prlimit(%d): %v", pid, err)
	}
	opts := testOptions(pathMatch(kite))
	opts.RespawnTimeout = 100 * time.Millisecond
	res := New(zaptest.NewLogger(t), opts).Restart(t.Context(), "core.kite.test")
	if !res.Outlook.Expected {
		t.Fatalf("Restart().Outlook = %+v, want a core expected", res.Outlook)
	}
	if res.Core == nil || !strings.HasPrefix(res.Core.Path, dir+"/") || res.Core.Size == 0 {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("Restart().Core = %+v, want a non-empty core in %s (dir holds %v)", res.Core, dir, entries)
	}
	if res.Outcome != OutcomeNotRespawned || res.PID != pid {
		t.Errorf("Restart() = outcome %q pid %d, want %q pid %d", res.Outcome, res.PID, OutcomeNotRespawned, pid)
	}
}
