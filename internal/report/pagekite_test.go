package report

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pkconfig"
	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/redact"
)

// TestBundleFromRealPagekite runs Debian's pagekite as a kite on loopback
// with secrets on its command line, then builds a bundle from the log it
// wrote: no secret may survive, and the version comes from the log.
func TestBundleFromRealPagekite(t *testing.T) {
	bin := pktest.PagekiteBinary(t)
	const (
		svcSecret = "RealKiteS3cret81"
		cfgPass   = "RealCfgPass27"
	)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "pagekite.log")
	// A relay port nobody listens on: the kite keeps trying, and logs.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	relay := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--clean", "--frontend="+relay, "--keepalive=1800",
		"--service_on=http:foo.kite.test:127.0.0.1:1:"+svcSecret,
		"--service_cfg=foo.kite.test/80:password/alice:"+cfgPass,
		"--logfile="+logFile)
	cmd.Dir = dir
	startLogging(t, cmd, logFile)
	raw, _ := os.ReadFile(logFile)
	if !strings.Contains(string(raw), svcSecret) {
		t.Fatalf("pagekite's log lacks the secret: the test would prove nothing:\n%s", raw)
	}

	// The caller knows only the service_cfg password; the service secret
	// is found in the argv= line.
	red := redact.New(redact.Options{Secrets: []string{cfgPass}, RedactIPs: true})
	b := newTestBuilder(t, Options{LogFile: logFile}, red)
	bundle, err := b.Build(context.Background(), Input{Kite: "foo.kite.test", LastFlying: time.Now().Add(-time.Minute),
		Probes: []string{"relay " + relay + " refused; secret " + svcSecret}})
	if err != nil {
		t.Fatalf("Build() error = %v", err)
	}
	members, tarRaw := readBundle(t, bundle.Path)
	for _, s := range []string{svcSecret, cfgPass, "127.0.0.1"} {
		if strings.Contains(string(tarRaw), s) {
			t.Errorf("bundle tar holds %q", s)
		}
		for name, data := range members {
			if strings.Contains(string(data), s) {
				t.Errorf("bundle member %s holds %q:\n%s", name, s, data)
			}
		}
	}
	if !strings.Contains(string(members[LogMember]), "started=/usr/bin/pagekite") {
		t.Errorf("bundle log lacks the started= line:\n%s", members[LogMember])
	}
	var rep struct {
		PageKite PageKiteInfo `json:"pagekite"`
	}
	if err := json.Unmarshal(members[JSONMember], &rep); err != nil {
		t.Fatal(err)
	}
	if rep.PageKite.Source != "log" || !strings.HasPrefix(rep.PageKite.Version, "1.5") {
		t.Errorf("report.json pagekite = %+v, want a 1.5 version from the log", rep.PageKite)
	}
}

// TestBundleFromRealPagekiteColonSecrets runs Debian's pagekite with a
// service_on whose secret holds ':' on its command line and one in its rc
// file (six and more fields: pagekite.py ignores both specs, but logs its
// argv), learns the rc file's secrets as discovery does (pkconfig), and
// builds a bundle whose report.json also quotes both secrets in another
// letter case and percent-encoded: no piece of either may survive (#30
// items 1 and 2).
func TestBundleFromRealPagekiteColonSecrets(t *testing.T) {
	bin := pktest.PagekiteBinary(t)
	const (
		argvSecret = "Abc:def123"
		rcSecret   = "Rc1x:k9lon/sec=9"
	)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "pagekite.log")
	rc := filepath.Join(dir, "10_kite.rc")
	if err := os.WriteFile(rc, []byte("service_on = http:rc.kite.test:localhost:83:"+rcSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	relay := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--clean", "--frontend="+relay, "--optfile="+rc,
		"--service_on=http:colon.kite.test:127.0.0.1:1:"+argvSecret, "--logfile="+logFile)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	startLogging(t, cmd, logFile)
	if raw, _ := os.ReadFile(logFile); !strings.Contains(string(raw), argvSecret) {
		t.Fatalf("pagekite's log lacks the argv secret: the test would prove nothing:\n%s", raw)
	}
	pk, _ := pkconfig.ParseFile(rc) // the spec is a problem; its secret is learned all the same
	if pk == nil {
		t.Fatal("ParseFile(rc) = nil")
	}
	red := redact.New(redact.Options{Secrets: pk.Secrets, RedactIPs: true})
	b := newTestBuilder(t, Options{LogFile: logFile}, red)
	bundle, err := b.Build(context.Background(), Input{Kite: "colon.kite.test", LastFlying: time.Now().Add(-time.Minute),
		Probes: []string{"rc line: service_on = http:rc.kite.test:localhost:83:" + rcSecret,
			"upper: " + strings.ToUpper(argvSecret) + " " + strings.ToUpper(rcSecret),
			"query: /x?note=" + url.QueryEscape(rcSecret) + "&again=" + url.PathEscape(argvSecret)}})
	if err != nil {
		t.Fatalf("Build() error = %v", err)
	}
	members, _ := readBundle(t, bundle.Path)
	for _, piece := range []string{"Abc", "def123", "Rc1x", "k9lon", "sec=9", "DEF123", "RC1X", "K9LON"} {
		for name, data := range members {
			if strings.Contains(string(data), piece) {
				t.Errorf("bundle member %s holds %q:\n%s", name, piece, data)
			}
		}
	}
	if !strings.Contains(string(members[JSONMember]), "rc.kite.test") {
		t.Errorf("report.json lost the kite name:\n%s", members[JSONMember])
	}
}

// TestPagekitecInfo: report.json names pagekitec and its version, from
// its -Y status file, else from its usage banner, never dpkg's
// pagekite.py. The pagekitec here is a stand-in script printing the real
// one's banner (libpagekite 0.91's usage()): it is not installable here.
func TestPagekitecInfo(t *testing.T) {
	dir := t.TempDir()
	status := filepath.Join(dir, "status")
	if err := os.WriteFile(status, []byte("pagekitec_version: 0.91.251215C\npagekitec_status: flying\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "pagekitec")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\necho 'This is pagekitec.c from libpagekite 0.91.240101C.' >&2\necho >&2\necho 'Usage:\tpagekitec [options] LPORT PROTO NAME PPORT SECRET' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		in   Input
		want PageKiteInfo
	}{
		{Input{Kind: "pagekitec", StatusFile: status, Exe: exe}, PageKiteInfo{Kind: "pagekitec", Version: "0.91.251215C", Source: "status file"}},
		{Input{Kind: "pagekitec", Exe: exe}, PageKiteInfo{Kind: "pagekitec", Version: "0.91.240101C", Source: "usage banner"}},
		{Input{Kind: "pagekitec"}, PageKiteInfo{Kind: "pagekitec", Version: "unknown"}},
	} {
		if got := pagekiteInfo(context.Background(), tt.in, ""); got != tt.want {
			t.Errorf("pagekiteInfo(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// startLogging starts a real pagekite (cmd), ends it by PID at the end of
// the test (SIGTERM, SIGKILL after 5 s), and waits (at most 20 s) for its
// first whole log line in logFile.
func startLogging(t *testing.T, cmd *exec.Cmd, logFile string) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pagekite: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, _ := os.ReadFile(logFile)
		if strings.Contains(string(data), "started=") && strings.HasSuffix(string(data), "\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pagekite wrote no log in 20s: %q", data)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
