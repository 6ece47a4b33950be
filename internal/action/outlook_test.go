package action

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseCoreLimit(t *testing.T) {
	const head = "Limit                     Soft Limit           Hard Limit           Units     \n" +
		"Max cpu time              unlimited            unlimited            seconds   \n"
	tests := []struct {
		limits  string
		want    int64
		wantErr bool
	}{
		{head + "Max core file size        0                    unlimited            bytes     \n", 0, false},
		{head + "Max core file size        unlimited            unlimited            bytes     \n", -1, false},
		{head + "Max core file size        1048576              unlimited            bytes     \n", 1048576, false},
		{head, 0, true},
		{head + "Max core file size        lots                 unlimited            bytes     \n", 0, true},
	}
	for _, tt := range tests {
		got, err := parseCoreLimit(tt.limits)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseCoreLimit(%q) = %d, %v, want %d (error %v)", tt.limits[len(head):], got, err, tt.want, tt.wantErr)
		}
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name      string
		o         CoreOutlook
		sig       string
		expected  bool
		reasonHas string
	}{
		{"relative pattern, unlimited", CoreOutlook{RlimitCore: -1, CorePattern: "core", Dumpable: true}, "SIGSEGV", true, ""},
		{"rlimit 0", CoreOutlook{RlimitCore: 0, CorePattern: "core", Dumpable: true}, "SIGSEGV", false, "RLIMIT_CORE"},
		{"SIGTERM", CoreOutlook{RlimitCore: -1, CorePattern: "core", Dumpable: true}, "SIGTERM", false, "does not dump"},
		{"runas, suid_dumpable 0", CoreOutlook{RlimitCore: -1, CorePattern: "core", SuidDumpable: 0}, "SIGSEGV", false, "not dumpable"},
		{"runas, suid_dumpable 2, relative", CoreOutlook{RlimitCore: -1, CorePattern: "core", SuidDumpable: 2}, "SIGSEGV", false, "absolute or pipe"},
		{"runas, suid_dumpable 2, pipe", CoreOutlook{RlimitCore: -1, CorePattern: "|/lib/systemd/systemd-coredump %P", SuidDumpable: 2}, "SIGSEGV", true, ""},
		{"runas, suid_dumpable 2, absolute", CoreOutlook{RlimitCore: -1, CorePattern: "/var/crash/core.%p", SuidDumpable: 2}, "SIGSEGV", true, ""},
		{"runas, suid_dumpable 1", CoreOutlook{RlimitCore: -1, CorePattern: "core", SuidDumpable: 1}, "SIGSEGV", true, ""},
		{"SIGABRT", CoreOutlook{RlimitCore: 4096, CorePattern: "core", Dumpable: true}, "SIGABRT", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.judge(tt.sig)
			if o.Expected != tt.expected || !strings.Contains(o.Reason, tt.reasonHas) || (tt.expected && o.Reason != "") {
				t.Errorf("judge(%s) = %v %q, want %v %q", tt.sig, o.Expected, o.Reason, tt.expected, tt.reasonHas)
			}
		})
	}
}

// TestCoreOutlookRealProcess reads the outlook of a real child whose
// RLIMIT_CORE the test sets (prlimit), so the answer is known.
func TestCoreOutlookRealProcess(t *testing.T) {
	_, kite := fakeKite(t)
	cmd := startProc(t, kite, "60")
	pid := cmd.Process.Pid
	waitExec(t, pid, pathMatch(kite))
	p, err := readProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, lim := range []uint64{0, 1 << 20} {
		if err := unix.Prlimit(pid, unix.RLIMIT_CORE, &unix.Rlimit{Cur: lim, Max: unix.RLIM_INFINITY}, nil); err != nil {
			t.Fatalf("prlimit(%d): %v", pid, err)
		}
		o, err := coreOutlook(p, "SIGSEGV")
		if err != nil {
			t.Fatalf("coreOutlook(%d) = %v", pid, err)
		}
		if o.RlimitCore != int64(lim) || o.CorePattern == "" || o.SuidDumpable < 0 || !o.Dumpable {
			t.Errorf("coreOutlook(%d) = %+v, want rlimit %d, a pattern, suid_dumpable, dumpable", pid, o, lim)
		}
		if lim == 0 && (o.Expected || !strings.Contains(o.Reason, "RLIMIT_CORE")) {
			t.Errorf("coreOutlook(rlimit 0) = %v %q, want not expected because of RLIMIT_CORE", o.Expected, o.Reason)
		}
	}
}
