package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestValidateProblems: each mistake is reported once, under its key path.
func TestValidateProblems(t *testing.T) {
	statusDir := t.TempDir()
	tests := []struct {
		name    string
		edit    func(c *Config)
		wantKey string
		wantMsg string // substring
	}{
		{"zero interval", func(c *Config) { c.Probe.Interval = D(0) }, "probe.interval", "greater than 0"},
		{"negative interval", func(c *Config) { c.Probe.Interval = D(-time.Second) }, "probe.interval", "greater than 0"},
		{"jitter too big", func(c *Config) { c.Probe.Jitter = 0.6 }, "probe.jitter", "between 0 and 0.5"},
		{"jitter negative", func(c *Config) { c.Probe.Jitter = -0.1 }, "probe.jitter", "between 0 and 0.5"},
		{"timeout equals interval", func(c *Config) { c.Probe.Timeout = D(time.Minute) }, "probe.timeout", "less than probe.interval"},
		{"timeout zero", func(c *Config) { c.Probe.Timeout = D(0) }, "probe.timeout", "greater than 0"},
		{"concurrency zero", func(c *Config) { c.Probe.Concurrency = 0 }, "probe.concurrency", "at least 1"},
		{"relay_cache negative", func(c *Config) { c.Probe.RelayCache = D(-time.Second) }, "probe.relay_cache", "negative"},
		{"failure_threshold zero", func(c *Config) { c.Policy.FailureThreshold = 0 }, "policy.failure_threshold", "at least 1"},
		{"grace negative", func(c *Config) { c.Policy.GracePeriod = D(-time.Second) }, "policy.grace_period", "negative"},
		{"cooldown zero", func(c *Config) { c.Policy.Cooldown = D(0) }, "policy.cooldown", "greater than 0"},
		{"max_cooldown below cooldown", func(c *Config) { c.Policy.MaxCooldown = D(time.Minute) }, "policy.max_cooldown", "at least policy.cooldown"},
		{"max_restarts negative", func(c *Config) { c.Policy.MaxRestarts = -1 }, "policy.max_restarts", "at least 0"},
		{"restart_window zero", func(c *Config) { c.Policy.RestartWindow = D(0) }, "policy.restart_window", "greater than 0"},
		{"method unknown", func(c *Config) { c.Restart.Method = "reboot" }, "restart.method", `"reboot" is not one of signal, systemd, command`},
		{"command without command", func(c *Config) { c.Restart.Method = "command" }, "restart.command", "required"},
		{"systemd without unit", func(c *Config) { c.Restart.Method = "systemd"; c.Restart.Unit = "" }, "restart.unit", "required"},
		{"bad process_match", func(c *Config) { c.Restart.ProcessMatch = "pagekite(" }, "restart.process_match", "bad regular expression"},
		{"unknown signal", func(c *Config) { c.Restart.Signal = "SIGFOO" }, "restart.signal", `unknown signal "SIGFOO"`},
		{"kill_timeout zero", func(c *Config) { c.Restart.KillTimeout = D(0) }, "restart.kill_timeout", "greater than 0"},
		{"empty start_command program", func(c *Config) { c.Restart.StartCommand = []string{"", "x"} }, "restart.start_command", "must not be empty"},
		{"report http to remote", func(c *Config) { c.Report.URL = "http://pagekite.net/cgi-bin/crashes.pl" }, "report.url", "only to a loopback"},
		{"report ftp", func(c *Config) { c.Report.URL = "ftp://127.0.0.1/x" }, "report.url", "scheme must be https"},
		{"report relative", func(c *Config) { c.Report.URL = "crashes.pl" }, "report.url", "no host"},
		{"report no host", func(c *Config) { c.Report.URL = "https:///crashes.pl" }, "report.url", "no host"},
		// validate says what run says (report.ValidateURL): no plain http
		// to a name, even localhost; no credentials.
		{"report http to localhost", func(c *Config) { c.Report.URL = "http://localhost/crash" }, "report.url", "only to a loopback address"},
		{"report with credentials", func(c *Config) { c.Report.URL = "https://u:p@pagekite.net/x" }, "report.url", "credentials"},
		{"interval 2ns", func(c *Config) { c.Probe.Interval = D(2); c.Probe.Timeout = D(1) }, "probe.interval", "at least 1s"},
		{"max_restarts huge", func(c *Config) { c.Policy.MaxRestarts = 1 << 30 }, "policy.max_restarts", "at most 1000"},
		{"state_dir /", func(c *Config) { c.StateDir = "/" }, "state_dir", "system directory"},
		{"state_dir /var/lib", func(c *Config) { c.StateDir = "/var/lib/" }, "state_dir", "system directory"},
		{"state_dir relative", func(c *Config) { c.StateDir = "state" }, "state_dir", "absolute"},
		{"state_dir under /etc", func(c *Config) { c.StateDir = "/etc/pkwatchdogd/state" }, "state_dir", "under /etc"},
		{"status_file under /etc", func(c *Config) { c.StatusFile = "/etc/pkwatchdogd/status.json" }, "status_file", "under /etc"},
		{"status_file a directory", func(c *Config) { c.StatusFile = statusDir }, "status_file", "is a directory"},
		{"metrics on every interface", func(c *Config) { c.MetricsListen = ":9798" }, "metrics_listen", "every interface"},
		{"metrics on a name", func(c *Config) { c.MetricsListen = "metrics.example.net:9798" }, "metrics_listen", "want an IP address"},
		{"process_match empty", func(c *Config) { c.Restart.ProcessMatch = "" }, "restart.process_match", "matches too much"},
		{"process_match everything", func(c *Config) { c.Restart.ProcessMatch = ".*" }, "restart.process_match", "matches too much"},
		{"process_match tail", func(c *Config) { c.Restart.ProcessMatch = "pagekite" }, "restart.process_match", "matches too much"},
		{"bad redact", func(c *Config) { c.Report.Redact = []string{"ok", "[unclosed"} }, "report.redact[1]", "bad regular expression"},
		{"max_bytes zero", func(c *Config) { c.Report.MaxBytes = 0 }, "report.max_bytes", "greater than 0"},
		{"log_lines negative", func(c *Config) { c.Report.LogLines = -1 }, "report.log_lines", "at least 0"},
		{"report timeout zero", func(c *Config) { c.Report.Timeout = D(0) }, "report.timeout", "greater than 0"},
		{"bad log_level", func(c *Config) { c.LogLevel = "verbose" }, "log_level", "not one of debug, info, warn, error"},
		{"bad log_target", func(c *Config) { c.LogTarget = "syslog" }, "log_target", "not one of auto, journal, stderr"},
		{"bad log_format", func(c *Config) { c.LogFormat = "xml" }, "log_format", "not one of console, json"},
		{"bad metrics_listen", func(c *Config) { c.MetricsListen = "127.0.0.1" }, "metrics_listen", "want host:port"},
		{"metrics_listen port", func(c *Config) { c.MetricsListen = "127.0.0.1:http" }, "metrics_listen", "port number"},
		{"empty state_dir", func(c *Config) { c.StateDir = "" }, "state_dir", "must not be empty"},
		{"no discovery dir", func(c *Config) { c.Discovery.PagekiteDir = "" }, "discovery.pagekite_dir", "no [[kite]]"},
		{"kite without name", func(c *Config) { c.Kites = []Kite{{Kind: "http", URL: "https://x.example/"}} }, "kite[0].name", "required"},
		{"kite bad name", func(c *Config) { c.Kites = []Kite{{Name: "a b", Kind: "http", URL: "https://x.example/"}} }, "kite[0].name", "not a host name"},
		{"two kites one name", func(c *Config) {
			c.Kites = []Kite{{Name: "a.example", Kind: "http", URL: "https://a.example/"}, {Name: "A.example", Kind: "http", URL: "https://a.example/"}}
		}, "kite[1].name", "also the name of kite[0]"},
		{"connect_to without port", func(c *Config) {
			c.Kites = []Kite{{Name: "a.example", Kind: "http", URL: "https://a.example/", ConnectTo: "127.0.0.1"}}
		}, "kite[0].connect_to", "want host:port"},
		{"connect_to port out of range", func(c *Config) {
			c.Kites = []Kite{{Name: "a.example", Kind: "http", URL: "https://a.example/", ConnectTo: "127.0.0.1:70000"}}
		}, "kite[0].connect_to", "port number"},
		{"connect_to without host", func(c *Config) {
			c.Kites = []Kite{{Name: "a.example", Kind: "http", URL: "https://a.example/", ConnectTo: ":80"}}
		}, "kite[0].connect_to", "no host"},
		{"bad url scheme", func(c *Config) { c.Kites = []Kite{{Name: "a.example", Kind: "http", URL: "ftp://a.example/"}} }, "kite[0].url", "http:// or https://"},
		{"url unparsable", func(c *Config) { c.Kites = []Kite{{Name: "a.example", Kind: "http", URL: "https://a b:x/"}} }, "kite[0].url", "bad URL"},
		{"bad kind", func(c *Config) { c.Kites = []Kite{{Name: "a.example", Kind: "tcp"}} }, "kite[0].kind", "not one of http, raw"},
		{"raw without port", func(c *Config) { c.Kites = []Kite{{Name: "a.example", Kind: "raw"}} }, "kite[0].port", "required|for kind \"raw\""},
		{"http with port", func(c *Config) {
			c.Kites = []Kite{{Name: "a.example", Kind: "http", URL: "https://a.example/", Port: 22}}
		}, "kite[0].port", "only for kind \"raw\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			err := validate(&c)
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Validate() = %v, want *Errors", err)
			}
			if len(errs.Problems) != 1 {
				t.Fatalf("Validate() = %d problems, want 1:\n%v", len(errs.Problems), err)
			}
			p := errs.Problems[0]
			if p.Key != tt.wantKey || !containsAny(p.Msg, tt.wantMsg) {
				t.Errorf("Validate() = %q: %q, want %q: ...%s...", p.Key, p.Msg, tt.wantKey, tt.wantMsg)
			}
		})
	}
}

// containsAny reports whether s contains one of the |-separated substrings.
func containsAny(s, subs string) bool {
	for _, sub := range strings.Split(subs, "|") {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Config)
	}{
		{"http report to loopback", func(c *Config) { c.Report.URL = "http://127.0.0.1:8080/crash" }},
		{"http report to ::1", func(c *Config) { c.Report.URL = "http://[::1]:8080/crash" }},
		{"http report to 127.0.0.1", func(c *Config) { c.Report.URL = "http://127.0.0.1:8080/crash" }},
		{"metrics on localhost", func(c *Config) { c.MetricsListen = "localhost:9798" }},
		{"metrics on a LAN address (a warning)", func(c *Config) { c.MetricsListen = "192.0.2.1:9798" }},
		{"jitter 0 and 0.5", func(c *Config) { c.Probe.Jitter = 0.5 }},
		{"zero grace and restarts", func(c *Config) { c.Policy.GracePeriod = D(0); c.Policy.MaxRestarts = 0 }},
		{"signal short name", func(c *Config) { c.Restart.Signal = "kill" }},
		{"command method", func(c *Config) { c.Restart.Method = "command"; c.Restart.Command = []string{"/bin/true"} }},
		{"kites without discovery", func(c *Config) {
			c.Discovery.PagekiteDir = ""
			c.Kites = []Kite{{Name: "a.example", Kind: "raw", Port: 22, ConnectTo: "[::1]:2999"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			if err := validate(&c); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

// TestLoadReportsEverything: unknown keys and invalid values of one file are
// all reported by one Load.
func TestLoadReportsEverything(t *testing.T) {
	path := writeConfig(t, `
log_level = "loud"
metrics_listen = "nope"
[probe]
interval = "0s"
jitter = 0.9
timeot = "5s"
[restart]
signal = "SIGNOPE"
[report]
url = "http://example.com/crash"
redact = ["(", "ok", "["]
[[kite]]
kind = "raw"
[[kite]]
name = "dup.example"
connect_to = "localhost"
[[kite]]
name = "dup.example"
url = "gopher://dup.example/"
`)
	_, err := Load(path)
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Load() error = %v, want *Errors", err)
	}
	var keys []string
	for _, p := range errs.Problems {
		keys = append(keys, p.Key)
	}
	want := []string{
		"probe.timeot", "log_level", "metrics_listen", "probe.interval", "probe.jitter",
		"restart.signal", "report.url", "report.redact[0]", "report.redact[2]",
		"kite[0].name", "kite[0].port", "kite[1].connect_to", "kite[2].url", "kite[2].name",
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("Load() problem keys = %q\nwant %q\n%v", keys, want, err)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != len(want) {
		t.Errorf("Load() error has %d lines, want %d", n, len(want))
	}
}

// validate is nil or an *Errors listing every problem of c (as Load
// checks it).
func validate(c *Config) error {
	if p := c.problems(); len(p) > 0 {
		return &Errors{Problems: p}
	}
	return nil
}
