package config

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/ratelimit"
	"github.com/pagekite/pkwatchdogd/internal/report"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// DefaultInstance is the name of the PageKite instance that a config with
// no [[pagekite]] table has: [restart], [report].log_file/journal_unit and
// [discovery] describe it.
const DefaultInstance = "pagekite"

// Config is pkwatchdogd's configuration. The TOML keys are in the field tags;
// configs/pkwatchdogd.toml documents them.
type Config struct {
	StateDir      string `toml:"state_dir"`
	StatusFile    string `toml:"status_file"`
	LogLevel      string `toml:"log_level"`
	LogTarget     string `toml:"log_target"`
	LogFormat     string `toml:"log_format"`
	MetricsListen string `toml:"metrics_listen"`

	Probe     Probe      `toml:"probe"`
	Policy    Policy     `toml:"policy"`
	Restart   Restart    `toml:"restart"`
	Report    Report     `toml:"report"`
	Discovery Discovery  `toml:"discovery"`
	Pagekites []Pagekite `toml:"pagekite"`
	Kites     []Kite     `toml:"kite"`
}

// Probe is the [probe] table: how and how often kites are probed.
type Probe struct {
	Interval           Duration `toml:"interval"`
	Jitter             float64  `toml:"jitter"`
	Timeout            Duration `toml:"timeout"`
	Concurrency        int      `toml:"concurrency"`
	RelayCache         Duration `toml:"relay_cache"`
	InsecureSkipVerify bool     `toml:"insecure_skip_verify"`
}

// RelayCacheTTL is relay_cache as probe.Options takes it: "0s" turns the
// cache off (every probe that needs the relay's ping asks it).
func (p Probe) RelayCacheTTL() time.Duration {
	if p.RelayCache.Duration == 0 {
		return -1
	}
	return p.RelayCache.Duration
}

// Policy is the [policy] table: when a failing kite leads to a restart.
type Policy struct {
	FailureThreshold int      `toml:"failure_threshold"`
	GracePeriod      Duration `toml:"grace_period"`
	Cooldown         Duration `toml:"cooldown"`
	MaxCooldown      Duration `toml:"max_cooldown"`
	MaxRestarts      int      `toml:"max_restarts"`
	RestartWindow    Duration `toml:"restart_window"`
	MinProcessAge    Duration `toml:"min_process_age"`
	StartupDelay     Duration `toml:"startup_delay"`
}

// Restart is the [restart] table: how PageKite is restarted.
type Restart struct {
	DryRun         bool     `toml:"dry_run"`
	Method         string   `toml:"method"`
	PIDFile        string   `toml:"pidfile"`
	Unit           string   `toml:"unit"`
	ProcessMatch   string   `toml:"process_match"`
	User           string   `toml:"user"`
	Signal         string   `toml:"signal"`
	Diagnostics    bool     `toml:"diagnostics"`
	Stacks         string   `toml:"stacks"`
	StacksTimeout  Duration `toml:"stacks_timeout"`
	KillTimeout    Duration `toml:"kill_timeout"`
	RespawnTimeout Duration `toml:"respawn_timeout"`
	StartCommand   []string `toml:"start_command"`
	Command        []string `toml:"command"`
	CommandTimeout Duration `toml:"command_timeout"`
}

// Report is the [report] table: the crash report sent after a restart.
type Report struct {
	Enabled     bool     `toml:"enabled"`
	URL         string   `toml:"url"`
	CAFile      string   `toml:"ca_file"`
	MinInterval Duration `toml:"min_interval"`
	LogFile     string   `toml:"log_file"`
	JournalUnit string   `toml:"journal_unit"`
	// LogCommand is a command (argv) whose output is PageKite's log, e.g.
	// OpenWrt's ["logread", "-e", "pagekitec"]; it wins over journal_unit
	// and log_file.
	LogCommand  []string `toml:"log_command"`
	LogLines    int      `toml:"log_lines"`
	IncludeCore bool     `toml:"include_core"`
	Keep        int      `toml:"keep"`
	MaxBytes    int64    `toml:"max_bytes"`
	RedactIPs   bool     `toml:"redact_ips"`
	Redact      []string `toml:"redact"`
	Timeout     Duration `toml:"timeout"`
}

// Discovery is the [discovery] table.
type Discovery struct {
	// PagekiteDir holds pagekite.py's rc files; its kites are watched when
	// no [[kite]] is configured, and its secrets are always redacted.
	PagekiteDir string `toml:"pagekite_dir"`
	// TLSProbe probes discovered HTTPS-only kites over TLS (https://NAME/)
	// rather than over plain HTTP. Never with a Debian 1.5.2 relay, which
	// crashes on a TLS ClientHello.
	TLSProbe bool `toml:"tls_probe"`
	// UCIFile is OpenWrt's UCI config of pagekitec: its kites are known
	// from it before pagekitec runs (see Instances).
	UCIFile string `toml:"uci_file"`
}

// Pagekite is one [[pagekite]] entry: a PageKite instance, that is one
// pagekite.py or pagekitec process (or systemd unit) and the kites it
// flies. It is what pkwatchdogd restarts. Keys left out take their value
// from [restart] (and log_file, journal_unit from [report]); Instances
// resolves them.
type Pagekite struct {
	Name string `toml:"name"`
	// Kind is pagekite.Py, pagekite.C, or pagekite.Unknown (guessed
	// from the process).
	Kind        pagekite.Kind `toml:"kind"`
	LogFile     *string       `toml:"log_file"`
	JournalUnit *string       `toml:"journal_unit"`
	LogCommand  *[]string     `toml:"log_command"`
	// RCDir is where pagekite.py reads this instance's rc files; its kites
	// are discovered there when no [[kite]] names the instance.
	RCDir string `toml:"rc_dir"`
	// StatusFile is pagekitec's -Y status file ("json:" or "text:" prefix
	// allowed); "" means the -Y of its command line, if any.
	StatusFile string `toml:"status_file"`

	DryRun         *bool     `toml:"dry_run"`
	Method         *string   `toml:"method"`
	PIDFile        *string   `toml:"pidfile"`
	Unit           *string   `toml:"unit"`
	ProcessMatch   *string   `toml:"process_match"`
	User           *string   `toml:"user"`
	Signal         *string   `toml:"signal"`
	Diagnostics    *bool     `toml:"diagnostics"`
	Stacks         *string   `toml:"stacks"`
	StacksTimeout  *Duration `toml:"stacks_timeout"`
	KillTimeout    *Duration `toml:"kill_timeout"`
	RespawnTimeout *Duration `toml:"respawn_timeout"`
	StartCommand   *[]string `toml:"start_command"`
	Command        *[]string `toml:"command"`
	CommandTimeout *Duration `toml:"command_timeout"`
}

// Kite is one [[kite]] entry.
type Kite struct {
	Name string `toml:"name"`
	// Pagekite names the [[pagekite]] instance that flies the kite;
	// required when there are two or more.
	Pagekite  string     `toml:"pagekite"`
	URL       string     `toml:"url"`        // default http://NAME/ (kind http)
	ConnectTo string     `toml:"connect_to"` // host:port to connect to instead of the URL's host
	Kind      probe.Kind `toml:"kind"`       // probe.KindHTTP (default) or probe.KindRaw
	Port      int        `toml:"port"`       // raw: the CONNECT port
	// HTTPSOnly: the kite's only web service is end-to-end HTTPS (see
	// probe.Target.HTTPSOnly); its http:// url is then settled by
	// X-PageKite-Status alone.
	HTTPSOnly bool `toml:"https_only"`
	// Expect (raw): what the service sends first ("SSH-", "220 "):
	// silence after CONNECT is then stalled, not flying (see
	// probe.Target.Expect); "" means "SSH-" on port 22.
	Expect string `toml:"expect"`
}

// Default returns the configuration with every default filled in and no
// kites.
func Default() Config {
	return Config{
		StateDir:   "/var/lib/pkwatchdogd",
		StatusFile: "/run/pkwatchdogd/status.json",
		LogLevel:   "info",
		LogTarget:  "auto",
		LogFormat:  "console",
		Probe: Probe{
			Interval:    D(60 * time.Second),
			Jitter:      0.1,
			Timeout:     D(probe.DefaultTimeout),
			Concurrency: 16,
			RelayCache:  D(probe.DefaultRelayCacheTTL),
		},
		Policy: Policy{
			FailureThreshold: 3,
			GracePeriod:      D(5 * time.Minute),
			Cooldown:         D(10 * time.Minute),
			MaxCooldown:      D(6 * time.Hour),
			MaxRestarts:      3,
			RestartWindow:    D(24 * time.Hour),
			MinProcessAge:    D(5 * time.Minute),
			StartupDelay:     D(2 * time.Minute),
		},
		Restart: Restart{
			Method:         action.MethodSignal,
			Unit:           action.DefaultUnit,
			ProcessMatch:   action.DefaultProcessPattern,
			Signal:         unix.SignalName(action.DefaultSignal),
			Diagnostics:    action.DefaultDiagnostics,
			Stacks:         action.StacksAuto,
			StacksTimeout:  D(stacks.DefaultTimeout),
			KillTimeout:    D(action.DefaultKillTimeout),
			RespawnTimeout: D(action.DefaultRespawnTimeout),
			StartCommand:   []string{},
			Command:        []string{},
			CommandTimeout: D(action.DefaultCommandTimeout),
		},
		Report: Report{
			Enabled:     true,
			URL:         report.DefaultURL,
			MinInterval: D(ratelimit.DefaultUploadMinInterval),
			LogFile:     "/var/log/pagekite/pagekite.log",
			LogLines:    report.DefaultLogLines,
			Keep:        report.DefaultKeep,
			MaxBytes:    report.DefaultMaxBytes,
			RedactIPs:   true,
			Redact:      []string{},
			LogCommand:  []string{},
			Timeout:     D(report.DefaultTimeout),
		},
		Discovery: Discovery{PagekiteDir: "/etc/pagekite.d", UCIFile: "/etc/config/pagekitec"},
	}
}
