package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// startFakePagekitec runs a process shaped like pagekitec for discovery
// and identity: /bin/sh copied to a file named pagekitec, run as
// `pagekitec -c 'sleep 60; :' ARGS...`. pagekitec takes -c N (max
// connections), so the command line reads as pagekitec's; the shell runs
// the sleep and ignores the rest. The real pagekitec is not packaged by
// Debian, so not installable here. It returns the PID; t.Cleanup ends it.
func startFakePagekitec(t *testing.T, args ...string) int {
	t.Helper()
	return startFakePagekitecAs(t, -1, false, args...)
}

// startFakePagekitecAs is startFakePagekitec run as uid (-1: as the test);
// ownBin makes uid the owner of the executable too (a copy of its own).
func startFakePagekitecAs(t *testing.T, uid int, ownBin bool, args ...string) int {
	t.Helper()
	dir, err := os.MkdirTemp("", "fake-pagekitec-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // another uid runs it
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "pagekitec")
	in, err := os.Open("/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	in.Close()
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"-c", "sleep 60; :"}, args...)...)
	if uid >= 0 {
		if ownBin {
			if err := os.Chown(bin, uid, uid); err != nil {
				t.Fatal(err)
			}
		}
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := strconv.Itoa(cmd.Process.Pid)
	// Wait until the shell's child runs sleep: between fork and exec it
	// would look like a second pagekitec.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		kids, _ := os.ReadFile("/proc/" + pid + "/task/" + pid + "/children")
		ok := false
		for _, kid := range strings.Fields(string(kids)) {
			if b, _ := os.ReadFile("/proc/" + kid + "/cmdline"); strings.HasPrefix(string(b), "sleep\x00") {
				ok = true
			}
		}
		if ok {
			return cmd.Process.Pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fake pagekitec never ran its sleep")
		}
	}
}

// TestPagekitecDiscoveredAndRejected: a running pagekitec (a process
// shaped like one) with no rc files is discovered from its command line:
// validate lists it as a pagekitec instance with its kites and the relay of
// its -F/-P; its -Y status file saying "rejected" makes check say rejected
// (exit 1) for a kite the relay reports not connected. The relay is
// Debian's real one.
func TestPagekitecDiscoveredAndRejected(t *testing.T) {
	relay := pktest.StartRelay(t)
	host, port, _ := strings.Cut(relay.Addr, ":")
	status := filepath.Join(t.TempDir(), "pagekitec.status")
	// The http kite's public port is the relay's port: a relay serves a
	// pagekitec kite on its PPORT only, and this relay listens on one.
	startFakePagekitec(t, "-s", "-F", host, "-P", port, "-Y", "json:"+status,
		"80", "http", "pkc."+relay.Domain, port, "pkc-s3cret", "22", "raw", "pkc-ssh."+relay.Domain, "22", "pkc-s3cret")
	body := fmt.Sprintf("{\n  \"pagekitec_version\": \"0.91.251215C\",\n  \"pagekitec_status\": \"rejected\",\n  \"pagekitec_status_code\": 60,\n  \"pagekitec_pid\": 1,\n  \"pagekitec_update_min_interval\": 240,\n  \"pagekitec_update_ts\": %d\n}\n", time.Now().Unix())
	if err := os.WriteFile(status, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, "[probe]\ntimeout = \"4s\"\n[restart]\nunit = \"\"\n[report]\nenabled = false\n")

	code, out, errOut := runCmd(t, "validate", "--config", path)
	for _, want := range []string{
		"pagekite pagekite (pagekitec;",
		"status file: " + status,
		"kites from pagekitec's command line (pid ",
		fmt.Sprintf("pkc.%s (http: http://pkc.%s:%s/ through relay %s (-F/-P of pagekitec))", relay.Domain, relay.Domain, port, relay.Addr),
		fmt.Sprintf("pkc-ssh.%s (raw: CONNECT pkc-ssh.%s:22 through relay %s", relay.Domain, relay.Domain, relay.Addr),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s%s", want, out, errOut)
		}
	}
	if code != exitOK || strings.Contains(out+errOut, "pkc-s3cret") {
		t.Errorf("validate = %d (or it shows the secret):\n%s%s", code, out, errOut)
	}
	t.Logf("validate:\n%s", out)

	code, results, errOut := checkJSON(t, path)
	if code != exitDown || len(results) != 2 || !strings.Contains(errOut, "secret") {
		t.Fatalf("check = %d, %+v, %q; want 1 with advice", code, results, errOut)
	}
	for _, r := range results {
		if r.Verdict != "rejected" || !strings.Contains(r.Detail, "pagekitec status rejected") {
			t.Errorf("check %s = %s %q, want rejected from the status file", r.Kite, r.Verdict, r.Detail)
		}
	}
}

// TestOtherUsersPagekitecIgnored: a pagekitec that another user runs (the
// real executable, or a copy of their own) is not PageKite's to watch
// (#23): discovery takes the one root runs, so validate lists its kites and
// not the other's, and does not fail with "several pagekitec processes".
func TestOtherUsersPagekitecIgnored(t *testing.T) {
	pktest.RequireRoot(t)
	const nobody = pktest.Nobody
	relay := pktest.StartRelay(t)
	host, port, _ := strings.Cut(relay.Addr, ":")
	startFakePagekitec(t, "-F", host, "-P", port, "80", "http", "mine."+relay.Domain, "80", "s3cret")
	startFakePagekitecAs(t, nobody, false, "-F", "127.0.0.1", "-P", "9", "80", "http", "theirs."+relay.Domain, "80", "x")
	startFakePagekitecAs(t, nobody, true, "-F", "127.0.0.1", "-P", "9", "80", "http", "copy."+relay.Domain, "80", "x")
	path := writeConfig(t, "[restart]\nunit = \"\"\n[report]\nenabled = false\n")
	code, out, errOut := runCmd(t, "validate", "--config", path)
	if code != exitOK || !strings.Contains(out, "mine."+relay.Domain) || strings.Contains(out, "theirs.") || strings.Contains(out, "copy.") {
		t.Errorf("validate = %d, want 0 with only root's pagekitec:\n%s%s", code, out, errOut)
	}
}

// TestPagekitecPublicPortZero (#31): pagekitec started as libpagekite's
// README starts it (`pagekitec 80 http NAME 0 SECRET`: public port 0, the
// protocol's default) is watched, and validate names, on stderr, every kite
// of the command line it does not watch, with the reason; a command line
// left with no kite exits 78 saying why. The process is shaped like
// pagekitec; its pid file pins discovery to it.
func TestPagekitecPublicPortZero(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		code    int
		watched []string // lines of validate's output
		warned  []string // words of its stderr
	}{
		{
			name:    "libpagekite's README",
			args:    "80 http yourkite.kite.test 0 kitesecret",
			code:    exitOK,
			watched: []string{"1 kite(s)", "yourkite.kite.test (http: http://yourkite.kite.test/ through relay yourkite.kite.test:80 (the kite's name, by DNS))"},
		},
		{
			name:    "the README's kite and an ssh kite",
			args:    "80 http yourkite.kite.test 0 kitesecret 22 raw ssh.kite.test 22 kitesecret",
			code:    exitOK,
			watched: []string{"2 kite(s)", "yourkite.kite.test (http:", "ssh.kite.test (raw: CONNECT ssh.kite.test:22"},
		},
		{
			name:    "a raw kite on port 0 beside it",
			args:    "80 http yourkite.kite.test 0 kitesecret 22 raw ssh.kite.test 0 kitesecret",
			code:    exitOK,
			watched: []string{"1 kite(s)", "yourkite.kite.test (http:"},
			warned:  []string{"ssh.kite.test", "public port 0 cannot be probed"},
		},
		{
			name:   "a raw kite on port 0 alone",
			args:   "22 raw ssh.kite.test 0 kitesecret",
			code:   exitConfig,
			warned: []string{"gives none", "ssh.kite.test", "public port 0 cannot be probed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pid := startFakePagekitec(t, strings.Fields(tt.args)...)
			pidFile := pktest.WriteFile(t, t.TempDir(), "pagekitec.pid", strconv.Itoa(pid)+"\n")
			path := writeConfig(t, "[restart]\nunit = \"\"\npidfile = \""+pidFile+"\"\n[report]\nenabled = false\n")
			code, out, errOut := runCmd(t, "validate", "--config", path)
			if code != tt.code {
				t.Errorf("validate = %d, want %d:\n%s%s", code, tt.code, out, errOut)
			}
			for _, want := range tt.watched {
				if !strings.Contains(out, want) {
					t.Errorf("validate output lacks %q:\n%s%s", want, out, errOut)
				}
			}
			for _, want := range tt.warned {
				if !strings.Contains(errOut, want) {
					t.Errorf("validate's stderr lacks %q:\n%s", want, errOut)
				}
			}
			t.Logf("validate:\n%s%s", out, errOut)
			if len(tt.warned) == 0 && errOut != "" {
				t.Errorf("validate's stderr = %q, want nothing", errOut)
			}
			if strings.Contains(out+errOut, "kitesecret") {
				t.Errorf("validate shows the secret:\n%s%s", out, errOut)
			}
		})
	}
}
