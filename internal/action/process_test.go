package action

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pagekite"
)

func TestDefaultProcessMatch(t *testing.T) {
	m := DefaultProcessMatch()
	tests := []struct {
		cmdline string
		want    bool
	}{
		{"/usr/bin/pagekite", true},
		{"/usr/bin/pagekite --clean --optfile=/etc/pagekite.d/10_account.rc", true},
		{"/usr/bin/python3 /usr/bin/pagekite --clean --service_on=http:a.test:127.0.0.1:80:s3cret", true},
		{"python3 /usr/bin/pagekite --logfile=/var/log/pagekite/pagekite.log", true},
		{"python3.11 -u /usr/bin/pagekite", true},
		{"python /home/me/pagekite.py --defaults", true},
		{"pagekite.py --defaults", true},
		{"./pagekite.py", true},
		{"/usr/bin/pagekitec -Y /tmp/status 80 http a.test 80 s3cret", true},
		{"pagekitec", true},
		{"less /var/log/pagekite/pagekite.log", false},
		{"tail -f /usr/bin/pagekite", false},
		{"vim /etc/pagekite.d/10_account.rc", false},
		{"/usr/sbin/pkwatchdogd --config /etc/pkwatchdogd.toml", false},
		{"/usr/bin/pagekite-watchdog", false},
		{"/usr/bin/daemon --name=pagekite -- /usr/bin/pagekite", false},
		{"sh -c pagekite", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := m.MatchString(tt.cmdline); got != tt.want {
			t.Errorf("DefaultProcessMatch().MatchString(%q) = %v, want %v", tt.cmdline, got, tt.want)
		}
	}
}

func TestMatchesExcludesRelays(t *testing.T) {
	r := New(zapNop(), Options{})
	tests := []struct {
		argv []string
		want bool
	}{
		{[]string{"/usr/bin/pagekite", "--clean"}, true},
		{[]string{"/usr/bin/python3", "/usr/bin/pagekite", "--clean", "--isfrontend", "--ports=80"}, false},
		{[]string{"/usr/bin/pagekite", "-f"}, false},
		{[]string{"/usr/bin/pagekite", "--noisfrontend"}, true},
		{nil, false},
	}
	for _, tt := range tests {
		if got := r.matches(tt.argv); got != tt.want {
			t.Errorf("matches(%q) = %v, want %v", tt.argv, got, tt.want)
		}
	}
}

func TestProgramOf(t *testing.T) {
	tests := []struct {
		argv []string
		prog string
		kind pagekite.Kind
	}{
		{[]string{"/usr/bin/python3", "/usr/bin/pagekite", "--clean"}, "pagekite", pagekite.Py},
		{[]string{"python3", "-u", "/opt/pagekite.py"}, "pagekite.py", pagekite.Py},
		{[]string{"/usr/bin/pagekitec", "80", "http"}, "pagekitec", pagekite.C},
		{[]string{"/usr/bin/pagekite"}, "pagekite", pagekite.Py},
	}
	for _, tt := range tests {
		prog, kind := programOf(tt.argv)
		if prog != tt.prog || kind != tt.kind {
			t.Errorf("programOf(%q) = %q, %q, want %q, %q", tt.argv, prog, kind, tt.prog, tt.kind)
		}
	}
}

func TestParseStartTicks(t *testing.T) {
	tail := " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21"
	tests := []struct {
		stat    string
		want    uint64
		wantErr bool
	}{
		{"42 (sleep)" + tail, 987654, false},
		{"42 (evil) S 1 2 3 (x))" + tail, 987654, false},
		{"42 (a b c)" + tail, 987654, false},
		{"42 sleep S 1 2", 0, true},
		{"42 (sleep) S 1 2 3", 0, true},
		{"42 (sleep) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x 20", 0, true},
	}
	for _, tt := range tests {
		got, err := parseStartTicks([]byte(tt.stat))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseStartTicks(%q) = %d, %v, want %d (error %v)", tt.stat, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseRealUID(t *testing.T) {
	got, err := parseRealUID([]byte("Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t5\t5\t5\t5\n"))
	if err != nil || got != 1000 {
		t.Errorf("parseRealUID(Uid 1000 0 0 0) = %d, %v, want 1000", got, err)
	}
	if _, err := parseRealUID([]byte("Name:\tx\n")); err == nil {
		t.Errorf("parseRealUID(no Uid line) = nil error, want one")
	}
}

// TestReadProcess reads a real child (sleep) and checks identity and age.
func TestReadProcess(t *testing.T) {
	before := time.Now().Add(-2 * time.Second)
	_, kite := fakeKite(t)
	cmd := startProc(t, kite, "60")
	waitExec(t, cmd.Process.Pid, pathMatch(kite))
	p, err := readProcess(cmd.Process.Pid)
	if err != nil {
		t.Fatalf("readProcess(%d) = %v", cmd.Process.Pid, err)
	}
	if got, want := strings.Join(p.Cmdline, " "), kite+" 60"; got != want {
		t.Errorf("readProcess(%d).Cmdline = %q, want %q", p.PID, got, want)
	}
	if p.UID != os.Getuid() || !p.Dumpable || p.StartTicks == 0 {
		t.Errorf("readProcess(%d) = uid %d dumpable %v ticks %d, want uid %d, dumpable, ticks > 0", p.PID, p.UID, p.Dumpable, p.StartTicks, os.Getuid())
	}
	if p.Started.Before(before) || p.Started.After(time.Now().Add(2*time.Second)) {
		t.Errorf("readProcess(%d).Started = %v, want about now (%v)", p.PID, p.Started, time.Now())
	}
	if age := p.Age(time.Now()); age < -2*time.Second || age > 10*time.Second {
		t.Errorf("Process.Age(now) = %v, want a few seconds at most", age)
	}
	// The same process read twice is sameAs; a different one is not.
	q, _ := readProcess(cmd.Process.Pid)
	if !p.sameAs(q) {
		t.Errorf("sameAs(same process read twice) = false, want true")
	}
	q.StartTicks++
	if p.sameAs(q) {
		t.Errorf("sameAs(other start time) = true, want false")
	}
	// A reaped process is gone.
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if _, err := readProcess(cmd.Process.Pid); err == nil {
		t.Errorf("readProcess(reaped %d) = nil error, want one", cmd.Process.Pid)
	}
}
