package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/status"
)

// privateURLParts are the pieces of the URLs below that no output may
// show: user, password, query values, fragments.
var privateURLParts = []string{"uSer7", "pAss7", "kEy7", "fRag7", "uSer8", "pAss8", "kEy8", "fRag8"}

const credentialURL = "https://uSer7:pAss7@collector.example/path?key=kEy7#fRag7"

// TestCommandsPrintURLsRedacted: validate, check, report --dry-run and run
// refuse an upload URL with credentials and say so without its user,
// password, query values or fragment; validate describes a kite URL the
// same way (#30 item 3).
func TestCommandsPrintURLsRedacted(t *testing.T) {
	kite := "[[kite]]\nname = \"a.kite.test\"\nurl = \"http://uSer8:pAss8@a.kite.test/x?tok=kEy8#fRag8\"\nconnect_to = \"127.0.0.1:9\"\n"
	bad := writeConfig(t, kite+"[report]\nurl = \""+credentialURL+"\"\n")
	good := writeConfig(t, kite)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout+stderr
	}{
		{"validate", []string{"validate", "--config", bad}, exitConfig, "credentials in the URL are not allowed"},
		{"check", []string{"check", "--config", bad}, exitConfig, "credentials in the URL are not allowed"},
		{"report --dry-run", []string{"report", "--dry-run", "--kite", "a.kite.test", "--config", bad}, exitConfig, "credentials in the URL are not allowed"},
		{"run", []string{"run", "--config", bad}, exitConfig, "credentials in the URL are not allowed"},
		{"validate, a kite URL", []string{"validate", "--config", good}, exitOK, "http://[REDACTED]@a.kite.test/x?tok=[REDACTED]#[REDACTED]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit = %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out+errOut, tc.want) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tc.want, out, errOut)
			}
			for _, p := range privateURLParts {
				if strings.Contains(out+errOut, p) {
					t.Errorf("output shows %q\nstdout: %s\nstderr: %s", p, out, errOut)
				}
			}
		})
	}
}

// TestReloadLogsURLRedacted: a SIGHUP to a config whose upload URL has
// credentials is rejected; the daemon's log (the journal) and the status
// file's config error quote the URL without user, password, query values
// or fragment (#30 item 3).
func TestReloadLogsURLRedacted(t *testing.T) {
	body := "[probe]\ninterval = \"30s\"\n[restart]\ndry_run = true\n[report]\nenabled = false\n" + kiteEntry("a.kite.test", "127.0.0.1:9")
	path := writeConfig(t, body)
	statusPath := filepath.Join(filepath.Dir(path), "state", "status.json")
	cmd, logPath := startDaemon(t, "--config", path)
	waitStatus(t, statusPath, 15*time.Second, func(f *status.File) bool { return len(f.Kites) == 1 })

	broken := strings.Replace(body, "enabled = false\n", "enabled = false\nurl = \""+credentialURL+"\"\n", 1)
	if err := os.WriteFile(path, []byte(statusHeader(path)+broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	f := waitStatus(t, statusPath, 10*time.Second, func(f *status.File) bool { return f.ConfigError != "" })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	log := readFile(t, logPath)
	if !strings.Contains(log, "credentials in the URL are not allowed") {
		t.Errorf("daemon log lacks the rejected reload:\n%s", log)
	}
	for _, p := range privateURLParts {
		if strings.Contains(log, p) {
			t.Errorf("daemon log shows %q:\n%s", p, log)
		}
		if strings.Contains(f.ConfigError, p) {
			t.Errorf("status config_error = %q, shows %q", f.ConfigError, p)
		}
	}
}
