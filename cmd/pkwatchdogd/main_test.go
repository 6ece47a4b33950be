package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/status"
)

// mainEnv makes the test binary run pkwatchdogd's main instead of the tests,
// so that the daemon tests run it as a real process receiving real signals.
const mainEnv = "PKWATCHDOGD_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// runCmd runs a command line in-process and returns its exit status and
// output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// writeConfig writes a config with the given body below a header that keeps
// everything in a temp dir and away from the machine's own PageKite.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "pkwatchdogd.toml")
	if err := os.WriteFile(path, []byte(statusHeader(path)+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func kiteEntry(name, connectTo string) string {
	return fmt.Sprintf("[[kite]]\nname = %q\nurl = \"http://%s/\"\nconnect_to = %q\n", name, name, connectTo)
}

func TestCheckVerdictsAndExitStatus(t *testing.T) {
	relay := pktest.StartRelay(t)
	web := pktest.StartWebServer(t)
	flying, nobe, absent := "up."+relay.Domain, "nobe."+relay.Domain, "absent."+relay.Domain
	kite := pktest.StartKite(t, relay, pktest.HTTPService(flying, web), pktest.HTTPService(nobe, pktest.ClosedAddr(t)))
	kite.WaitFlying(t, flying)
	kite.WaitFlying(t, nobe)
	refused := pktest.ClosedAddr(t)

	probeTable := "[probe]\ninterval = \"10s\"\ntimeout = \"4s\"\n"
	for _, tc := range []struct {
		name  string
		kites map[string]string // kite → connect_to
		want  map[string]probe.Verdict
		code  int
	}{
		{"all up", map[string]string{flying: relay.Addr, nobe: relay.Addr},
			map[string]probe.Verdict{flying: probe.Flying, nobe: probe.BackendDown}, exitOK},
		{"one down", map[string]string{flying: relay.Addr, absent: relay.Addr, "refused.kite.test": refused},
			map[string]probe.Verdict{flying: probe.Flying, absent: probe.KiteDown, "refused.kite.test": probe.Unreachable}, exitDown},
		{"inconclusive", map[string]string{flying: relay.Addr, "refused.kite.test": refused},
			map[string]probe.Verdict{flying: probe.Flying, "refused.kite.test": probe.Unreachable}, exitInconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := probeTable
			for k, addr := range tc.kites {
				body += kiteEntry(k, addr)
			}
			code, out, errOut := runCmd(t, "check", "--config", writeConfig(t, body), "--json")
			if code != tc.code {
				t.Errorf("check exit = %d, want %d; stderr: %s", code, tc.code, errOut)
			}
			var results []map[string]any
			if err := json.Unmarshal([]byte(out), &results); err != nil {
				t.Fatalf("check --json output is not JSON: %v\n%s", err, out)
			}
			if len(results) != len(tc.want) {
				t.Fatalf("check --json gave %d results, want %d", len(results), len(tc.want))
			}
			for _, r := range results {
				for _, key := range []string{"kite", "verdict", "detail", "duration_ms"} {
					if _, ok := r[key]; !ok {
						t.Errorf("result %v lacks %q", r, key)
					}
				}
				k, _ := r["kite"].(string)
				if got := probe.Verdict(fmt.Sprint(r["verdict"])); got != tc.want[k] {
					t.Errorf("check verdict for %s = %s (%v), want %s", k, got, r["detail"], tc.want[k])
				}
			}
		})
	}
}

func TestCommandLineErrors(t *testing.T) {
	good := writeConfig(t, kiteEntry("a.kite.test", "127.0.0.1:9"))
	bad := writeConfig(t, "[probe]\ninterval = \"-1s\"\njitter = 0.9\n[[kite]]\nconect_to = \"x\"\n")
	syntax := writeConfig(t, "[probe\n")
	// PageKite installed but not configured (Debian's stock rc file), no
	// [[kite]]: nothing to watch.
	unconfigured := writeConfig(t, "")
	pkDir := filepath.Join(filepath.Dir(unconfigured), "no-pagekite.d")
	if err := os.MkdirAll(pkDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkDir, "10_account.rc"), []byte("abort_not_configured\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want []string // in stdout+stderr
	}{
		{[]string{"frobnicate"}, exitUsage, []string{`unknown command "frobnicate"`}},
		{[]string{"check", "--bogus"}, exitUsage, []string{"flag provided but not defined", "usage: pkwatchdogd check [--config FILE] [--json]"}},
		{[]string{"report", "-x"}, exitUsage, []string{"flag provided but not defined", "usage: pkwatchdogd report "}},
		{[]string{"check", "--config", good, "extra"}, exitUsage, []string{"unexpected argument", "usage: pkwatchdogd check "}},
		{[]string{"help", "check"}, exitOK, []string{"usage: pkwatchdogd check", "--config FILE", "--json", `(default "/etc/pkwatchdogd/pkwatchdogd.toml")`}},
		{[]string{"check", "--help"}, exitOK, []string{"usage: pkwatchdogd check", "--config FILE", "--json", `(default "/etc/pkwatchdogd/pkwatchdogd.toml")`}},
		{[]string{"report", "-h"}, exitOK, []string{"--kite NAME", "--dry-run"}},
		{[]string{"help", "frobnicate"}, exitUsage, []string{`unknown command "frobnicate"`}},
		{[]string{"help", "check", "status"}, exitUsage, []string{`unexpected argument "status"`}},
		{[]string{"help"}, exitOK, []string{"commands:", "validate [--config FILE]"}},
		{[]string{"--help"}, exitOK, []string{"commands:", "validate [--config FILE]"}},
		{[]string{"--version"}, exitOK, []string{"pkwatchdogd ", "commit:", "go version: " + runtime.Version(), "platform:   linux/" + runtime.GOARCH}},
		{[]string{"version"}, exitOK, []string{"pkwatchdogd ", "commit:", "go version: " + runtime.Version(), "platform:   linux/" + runtime.GOARCH}},
		{[]string{"validate", "--config", good}, exitOK, []string{"valid", "a.kite.test"}},
		{[]string{"validate", "--config", bad}, exitConfig, []string{"probe.interval", "probe.jitter", "kite[0].conect_to"}},
		{[]string{"validate", "--config", syntax}, exitConfig, []string{syntax + ":"}},
		{[]string{"check", "--config", filepath.Join(t.TempDir(), "missing.toml")}, exitConfig, []string{"missing.toml"}},
		{[]string{"report", "--config", good}, exitUsage, []string{"--dry-run is required"}},
		{[]string{"status", "--config", good}, exitNotRunning, []string{"not running"}},
		// Nothing to watch: EX_CONFIG, which the unit does not restart.
		{[]string{"validate", "--config", unconfigured}, exitConfig, []string{"not configured"}},
		{[]string{"run", "--config", unconfigured}, exitConfig, nil}, // says why in its log
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runCmd(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit = %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", w, out, errOut)
				}
			}
		})
	}
}

// startDaemon runs `pkwatchdogd run` as a real child process (this test
// binary re-executed as main) and returns it with its stderr file.
func startDaemon(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "daemon.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(os.Args[0], append([]string{"run"}, args...)...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, logPath
}

// waitStatus polls the status file (bounded) until ok accepts it.
func waitStatus(t *testing.T, path string, timeout time.Duration, ok func(*status.File) bool) *status.File {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if f, err := status.Read(path); err == nil && ok(f) {
			return f
		}
		time.Sleep(100 * time.Millisecond)
	}
	f, err := status.Read(path)
	t.Fatalf("status file %s not as expected within %v: %+v, %v", path, timeout, f, err)
	return nil
}

func TestDaemonStatusReloadAndStop(t *testing.T) {
	relay := pktest.StartRelay(t)
	web := pktest.StartWebServer(t)
	name := "d." + relay.Domain
	kite := pktest.StartKite(t, relay, pktest.HTTPService(name, web))
	kite.WaitFlying(t, name)

	body := "[probe]\ninterval = \"2s\"\ntimeout = \"1500ms\"\n[restart]\ndry_run = true\n[report]\nenabled = false\n" + kiteEntry(name, relay.Addr)
	path := writeConfig(t, body)
	statusPath := filepath.Join(filepath.Dir(path), "state", "status.json")
	cmd, logPath := startDaemon(t, "--config", path)

	f := waitStatus(t, statusPath, 15*time.Second, func(f *status.File) bool {
		return len(f.Kites) == 1 && f.Kites[0].Verdict == string(probe.Flying)
	})
	if f.PID != cmd.Process.Pid || !f.DryRun || f.Kites[0].State != "healthy" {
		t.Errorf("status = %+v, want pid %d, dry run, one healthy kite", f, cmd.Process.Pid)
	}
	code, out, _ := runCmd(t, "status", "--config", path)
	if code != exitOK || !strings.Contains(out, name) || !strings.Contains(out, "healthy") {
		t.Errorf("status command = %d\n%s\nwant 0 and a healthy %s", code, out, name)
	}

	// A broken config on SIGHUP is rejected: the daemon keeps running on
	// the old one and says so in the status.
	if err := os.WriteFile(path, []byte("[probe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, statusPath, 10*time.Second, func(f *status.File) bool { return f.ConfigError != "" && len(f.Kites) == 1 })

	// A fixed config adds a kite and clears the error.
	second := "e." + relay.Domain
	fixed := body + kiteEntry(second, relay.Addr)
	if err := os.WriteFile(path, []byte(statusHeader(path)+fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, statusPath, 10*time.Second, func(f *status.File) bool { return f.ConfigError == "" && len(f.Kites) == 2 })

	// SIGTERM: an orderly stop, exit 0, within 5 s.
	stopAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("daemon exit = %v, want 0\n%s", err, readFile(t, logPath))
		}
	case <-time.After(6 * time.Second):
		t.Fatalf("daemon did not stop within 6s of SIGTERM\n%s", readFile(t, logPath))
	}
	if took := time.Since(stopAt); took > 5*time.Second {
		t.Errorf("stop took %v, want at most 5s", took)
	}
	if log := readFile(t, logPath); !strings.Contains(log, "config reload rejected") || !strings.Contains(log, "config reloaded") {
		t.Errorf("daemon log lacks the reload lines:\n%s", log)
	}
}

// statusHeader is writeConfig's header for the config at path.
func statusHeader(path string) string {
	dir := filepath.Dir(path)
	return fmt.Sprintf("state_dir = %q\nstatus_file = %q\nlog_target = \"stderr\"\n[discovery]\npagekite_dir = %q\n",
		filepath.Join(dir, "state"), filepath.Join(dir, "state", "status.json"), filepath.Join(dir, "no-pagekite.d"))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
