package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/redact"
	"github.com/pagekite/pkwatchdogd/internal/report"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// Warnings are what is allowed but likely a mistake, each with its key:
// validate prints them and run logs them.
func (c *Config) Warnings() []Problem {
	var ps problems
	if host, _, err := net.SplitHostPort(c.MetricsListen); err == nil && host != "" && host != "localhost" {
		if a, err := netip.ParseAddr(host); err == nil && !a.IsLoopback() {
			ps.add("metrics_listen", "%s is not a loopback address: the metrics (kite names, states) are served to the network without authentication", host)
		}
	}
	return ps
}

// problems collects every problem of c.
type problems []Problem

func (ps *problems) add(key, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// oneOf adds a problem unless value is one of allowed.
func oneOf[T ~string](ps *problems, key string, value T, allowed ...T) {
	if slices.Contains(allowed, value) {
		return
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	ps.add(key, "%q is not one of %s", value, strings.Join(names, ", "))
}

func (ps *problems) positive(key string, d Duration) {
	if d.Duration <= 0 {
		ps.add(key, "must be greater than 0, got %s", d.Duration)
	}
}

func (ps *problems) nonNegative(key string, d Duration) {
	if d.Duration < 0 {
		ps.add(key, "must not be negative, got %s", d.Duration)
	}
}

func (ps *problems) atLeast(key string, n, min int) {
	if n < min {
		ps.add(key, "must be at least %d, got %d", min, n)
	}
}

func (ps *problems) regexp(key, expr string) {
	if _, err := regexp.Compile(expr); err != nil {
		ps.add(key, "bad regular expression: %v", err)
	}
}

func (ps *problems) argv(key string, argv []string) {
	if len(argv) > 0 && argv[0] == "" {
		ps.add(key, "the program (first element) must not be empty")
	}
}

// Bounds of keys whose extremes make no sense.
const (
	// MinInterval is the shortest probe.interval: a kite probed more
	// often costs its relay and this machine without telling more.
	MinInterval = time.Second
	// MaxRestarts is the largest policy.max_restarts: past it, the budget
	// no longer protects anything.
	MaxRestarts = 1000
)

func (c *Config) problems() []Problem {
	var ps problems
	if pathProblems(&ps, "state_dir", c.StateDir) {
		trustProblems(&ps, "state_dir", c.StateDir)
	}
	if c.StatusFile != "" && pathProblems(&ps, "status_file", c.StatusFile) {
		if st, err := os.Stat(c.StatusFile); err == nil && st.IsDir() {
			ps.add("status_file", "%s is a directory; name a file in it", c.StatusFile)
		}
		trustProblems(&ps, "status_file", filepath.Dir(c.StatusFile))
	}
	oneOf(&ps, "log_level", c.LogLevel, "debug", "info", "warn", "error")
	oneOf(&ps, "log_target", c.LogTarget, "auto", "journal", "stderr")
	oneOf(&ps, "log_format", c.LogFormat, "console", "json")
	if c.MetricsListen != "" {
		if err := checkListen(c.MetricsListen); err != nil {
			ps.add("metrics_listen", "%v", err)
		}
	}

	p := c.Probe
	ps.positive("probe.interval", p.Interval)
	if p.Interval.Duration > 0 && p.Interval.Duration < MinInterval {
		ps.add("probe.interval", "must be at least %s, got %s", MinInterval, p.Interval.Duration)
	}
	if p.Jitter < 0 || p.Jitter > 0.5 || p.Jitter != p.Jitter {
		ps.add("probe.jitter", "must be between 0 and 0.5, got %g", p.Jitter)
	}
	ps.positive("probe.timeout", p.Timeout)
	if p.Timeout.Duration > 0 && p.Interval.Duration > 0 && p.Timeout.Duration >= p.Interval.Duration {
		ps.add("probe.timeout", "must be less than probe.interval (%s), got %s", p.Interval.Duration, p.Timeout.Duration)
	}
	ps.atLeast("probe.concurrency", p.Concurrency, 1)
	ps.nonNegative("probe.relay_cache", p.RelayCache)

	pol := c.Policy
	ps.atLeast("policy.failure_threshold", pol.FailureThreshold, 1)
	ps.nonNegative("policy.grace_period", pol.GracePeriod)
	ps.positive("policy.cooldown", pol.Cooldown)
	if pol.MaxCooldown.Duration < pol.Cooldown.Duration {
		ps.add("policy.max_cooldown", "must be at least policy.cooldown (%s), got %s", pol.Cooldown.Duration, pol.MaxCooldown.Duration)
	}
	ps.atLeast("policy.max_restarts", pol.MaxRestarts, 0)
	if pol.MaxRestarts > MaxRestarts {
		ps.add("policy.max_restarts", "must be at most %d, got %d", MaxRestarts, pol.MaxRestarts)
	}
	ps.positive("policy.restart_window", pol.RestartWindow)
	ps.nonNegative("policy.min_process_age", pol.MinProcessAge)
	ps.nonNegative("policy.startup_delay", pol.StartupDelay)

	restartProblems(&ps, "restart", c.Restart)
	c.instanceProblems(&ps)

	rep := c.Report
	if err := report.ValidateURL(rep.URL); err != nil {
		ps.add("report.url", "%v", err)
	}
	ps.nonNegative("report.min_interval", rep.MinInterval)
	ps.atLeast("report.log_lines", rep.LogLines, 0)
	ps.atLeast("report.keep", rep.Keep, 0)
	if rep.MaxBytes <= 0 {
		ps.add("report.max_bytes", "must be greater than 0, got %d", rep.MaxBytes)
	}
	for i, expr := range rep.Redact {
		ps.regexp(fmt.Sprintf("report.redact[%d]", i), expr)
	}
	ps.positive("report.timeout", rep.Timeout)
	ps.argv("report.log_command", rep.LogCommand)

	if len(c.Kites) == 0 && len(c.Pagekites) == 0 && c.Discovery.PagekiteDir == "" {
		ps.add("discovery.pagekite_dir", "must not be empty when no [[kite]] is configured")
	}

	seen := map[string]int{}
	for i, k := range c.Kites {
		key := "kite[" + strconv.Itoa(i) + "]"
		c.kiteProblems(&ps, key, k)
		if k.Name == "" {
			continue
		}
		name := strings.ToLower(k.Name)
		if first, dup := seen[name]; dup {
			ps.add(key+".name", "%q is also the name of kite[%d]", k.Name, first)
		} else {
			seen[name] = i
		}
	}
	return ps
}

// restartProblems checks the restart keys of r, named under prefix
// ("restart", or "pagekite[N]" for an instance's overrides).
func restartProblems(ps *problems, prefix string, r Restart) {
	key := func(k string) string { return prefix + "." + k }
	oneOf(ps, key("method"), r.Method, action.Methods()...)
	if r.Method == action.MethodCommand && len(r.Command) == 0 {
		ps.add(key("command"), "is required when method is \"command\"")
	}
	if r.Method == action.MethodSystemd && r.Unit == "" {
		ps.add(key("unit"), "is required when method is \"systemd\"")
	}
	matchProblems(ps, key("process_match"), r.ProcessMatch)
	if r.User != "" {
		if _, err := strconv.Atoi(r.User); err != nil {
			if _, err := user.Lookup(r.User); err != nil {
				ps.add(key("user"), "no such user %q", r.User)
			}
		}
	}
	if _, err := ParseSignal(r.Signal); err != nil {
		ps.add(key("signal"), "%v", err)
	}
	oneOf(ps, key("stacks"), r.Stacks, action.StacksAuto, action.StacksOff)
	ps.positive(key("stacks_timeout"), r.StacksTimeout)
	if r.StacksTimeout.Duration > action.MaxStacksTimeout {
		ps.add(key("stacks_timeout"), "%v delays every restart: at most %v", r.StacksTimeout.Duration, action.MaxStacksTimeout)
	}
	ps.positive(key("kill_timeout"), r.KillTimeout)
	ps.positive(key("respawn_timeout"), r.RespawnTimeout)
	ps.positive(key("command_timeout"), r.CommandTimeout)
	ps.argv(key("start_command"), r.StartCommand)
	ps.argv(key("command"), r.Command)
}

// instanceProblems checks the [[pagekite]] entries: names, kinds, their
// restart overrides, and that no two instances find the same process or
// read the same rc_dir.
func (c *Config) instanceProblems(ps *problems) {
	specs := c.Specs()
	names := map[string]int{}
	for i, p := range c.Pagekites {
		key := "pagekite[" + strconv.Itoa(i) + "]"
		if p.StatusFile != "" && !filepath.IsAbs(statusPath(p.StatusFile)) {
			ps.add(key+".status_file", "must be an absolute path, got %q", p.StatusFile)
		}
		switch {
		case p.Name == "":
			ps.add(key+".name", "is required")
		case !validInstanceName(p.Name):
			ps.add(key+".name", "%q: use letters, digits, '.', '_' and '-'", p.Name)
		default:
			if first, dup := names[p.Name]; dup {
				ps.add(key+".name", "%q is also the name of pagekite[%d]", p.Name, first)
			} else {
				names[p.Name] = i
			}
		}
		oneOf(ps, key+".kind", p.Kind, pagekite.Unknown, pagekite.Py, pagekite.C)
		if p.LogCommand != nil {
			ps.argv(key+".log_command", *p.LogCommand)
		}
		// A problem [restart] has too is reported once, as restart.KEY;
		// those this entry's overrides make, under its own name.
		var own problems
		restartProblems(&own, key, specs[i].Restart)
		var base problems
		restartProblems(&base, key, c.Restart)
		for _, pr := range own {
			if !slices.Contains(base, pr) {
				*ps = append(*ps, pr)
			}
		}
	}
	c.sharedProcessProblems(ps, specs)
	for i, k := range c.Kites {
		key := "kite[" + strconv.Itoa(i) + "].pagekite"
		_, named := names[k.Pagekite]
		switch {
		case k.Pagekite == "" && len(specs) > 1:
			ps.add(key, "is required when there are two or more [[pagekite]] instances")
		case k.Pagekite == "" || named || len(c.Pagekites) == 0 && k.Pagekite == DefaultInstance:
		default:
			ps.add(key, "%q is not the name of a [[pagekite]]", k.Pagekite)
		}
	}
}

// sharedProcessProblems reports instances that would find the same
// process (the same pid file, or the same unit without a pid file) or
// discover kites in the same rc_dir: each would restart the other's
// PageKite.
func (c *Config) sharedProcessProblems(ps *problems, specs []Instance) {
	if len(specs) < 2 {
		return
	}
	finder := map[string]int{}
	dirs := map[string]int{}
	for i, in := range specs {
		key := "pagekite[" + strconv.Itoa(i) + "]"
		var by string
		switch r := in.Restart; {
		case r.Method == action.MethodCommand:
		case r.PIDFile != "":
			by = "pidfile " + r.PIDFile
		case r.Unit != "":
			by = "unit " + r.Unit
		default:
			by = "a scan of /proc"
		}
		if by != "" {
			if first, dup := finder[by]; dup {
				ps.add(key, "finds its process like pagekite[%d] (%s): give each instance its own pidfile or unit", first, by)
			} else {
				finder[by] = i
			}
		}
		if in.RCDir == "" {
			continue
		}
		if first, dup := dirs[in.RCDir]; dup {
			ps.add(key+".rc_dir", "%q is also the rc_dir of pagekite[%d]", in.RCDir, first)
		} else {
			dirs[in.RCDir] = i
		}
	}
}

// validInstanceName reports whether s may name an instance: it appears in
// file names, metric labels and journal fields.
func validInstanceName(s string) bool { return len(s) <= 64 && nameChars(s) }

func (c *Config) kiteProblems(ps *problems, key string, k Kite) {
	switch {
	case k.Name == "":
		ps.add(key+".name", "is required")
	case !ValidHostname(k.Name):
		ps.add(key+".name", "%q is not a host name", k.Name)
	}
	oneOf(ps, key+".kind", k.Kind, probe.Kinds()...)
	switch k.Kind {
	case probe.KindRaw:
		if k.Port < 1 || k.Port > 65535 {
			ps.add(key+".port", "must be a port number (1-65535) for kind \"raw\", got %d", k.Port)
		}
		if k.HTTPSOnly {
			ps.add(key+".https_only", "is only for kind \"http\"")
		}
	case probe.KindHTTP:
		if k.Port != 0 {
			ps.add(key+".port", "is only for kind \"raw\" (put the port in url)")
		}
		if k.Expect != "" {
			ps.add(key+".expect", "is only for kind \"raw\"")
		}
	}
	if len(k.Expect) > 64 {
		ps.add(key+".expect", "is longer than 64 bytes")
	}
	if k.URL != "" {
		u, err := url.Parse(k.URL)
		switch {
		case err != nil:
			// url.Parse's error quotes the URL whole: say it redacted.
			ps.add(key+".url", "bad URL: %q does not parse", redact.URL(k.URL))
		case u.Scheme != "http" && u.Scheme != "https":
			ps.add(key+".url", "must be an http:// or https:// URL, got %q", redact.URL(k.URL))
		case u.Hostname() == "":
			ps.add(key+".url", "has no host: %q", redact.URL(k.URL))
		}
	}
	if k.ConnectTo != "" {
		if err := checkHostPort(k.ConnectTo, false); err != nil {
			ps.add(key+".connect_to", "%v", err)
		}
	}
}

// checkHostPort checks a "host:port" address with a numeric port 1-65535;
// emptyHost allows ":port".
func checkHostPort(addr string, emptyHost bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port, got %q", addr)
	}
	if host == "" && !emptyHost {
		return fmt.Errorf("want host:port, got %q (no host)", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("want a port number 1-65535 in %q", addr)
	}
	return nil
}

// checkListen checks metrics_listen: an explicit IP address (or
// localhost) and a port. ":PORT" (every interface) is refused: the
// metrics have no authentication.
func checkListen(addr string) error {
	if err := checkHostPort(addr, true); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(addr)
	switch {
	case host == "":
		return fmt.Errorf("%q listens on every interface: name the address, e.g. 127.0.0.1%s", addr, addr)
	case host == "localhost":
		return nil
	}
	if _, err := netip.ParseAddr(host); err != nil {
		return fmt.Errorf("want an IP address (or localhost) in %q, got host %q", addr, host)
	}
	return nil
}

// systemDirs are where pkwatchdogd's own files must never go.
var systemDirs = []string{"/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys", "/tmp", "/usr", "/var", "/var/lib", "/var/log", "/var/run"}

// pathProblems checks a path pkwatchdogd writes to: absolute, not a
// system directory, and never under /etc, /proc, /sys, /dev, /boot or
// /usr. It reports whether the path passed.
func pathProblems(ps *problems, key, path string) bool {
	if path == "" {
		ps.add(key, "must not be empty")
		return false
	}
	if !filepath.IsAbs(path) {
		ps.add(key, "must be an absolute path, got %q", path)
		return false
	}
	clean := filepath.Clean(path)
	if slices.Contains(systemDirs, clean) {
		ps.add(key, "%s is a system directory: use a directory of pkwatchdogd's own (e.g. /var/lib/pkwatchdogd)", clean)
		return false
	}
	for _, top := range []string{"/etc", "/proc", "/sys", "/dev", "/boot", "/usr"} {
		if strings.HasPrefix(clean, top+"/") {
			ps.add(key, "%s is under %s, which is not for pkwatchdogd's state", clean, top)
			return false
		}
	}
	return true
}

// trustProblems checks a directory pkwatchdogd writes into (state_dir,
// status_file's) as run does before it writes there
// (safefile.MkdirTrusted), in the same words, without making it: so that
// validate says what run would refuse, and a reload to such a directory
// is refused.
func trustProblems(ps *problems, key, dir string) {
	if err := safefile.CheckDir(dir); err != nil {
		ps.add(key, "%v", err)
	}
}

// matchProblems checks process_match: a valid regular expression that does
// not match command lines that are not PageKite (action.NotPageKite).
func matchProblems(ps *problems, key, expr string) {
	re, err := regexp.Compile(expr)
	if err != nil {
		ps.add(key, "bad regular expression: %v", err)
		return
	}
	for _, cmd := range action.NotPageKite {
		if re.MatchString(cmd) {
			ps.add(key, "%q matches too much: it matches %q, which is not PageKite", expr, cmd)
			return
		}
	}
}

// ValidHostname reports whether s looks like a DNS name (letters, digits,
// '-', '_', '.'), which is what kite names are.
func ValidHostname(s string) bool {
	if len(s) > 253 || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	return nameChars(s)
}

// nameChars reports whether s holds only letters, digits, '-', '_' and '.'.
func nameChars(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// ParseSignal returns the signal named name: "SIGSEGV", or "SEGV" (any case).
func ParseSignal(name string) (unix.Signal, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if !strings.HasPrefix(n, "SIG") {
		n = "SIG" + n
	}
	if s := unix.SignalNum(n); s != 0 {
		return s, nil
	}
	return 0, fmt.Errorf("unknown signal %q (want a name such as SIGSEGV, SIGABRT, SIGTERM)", name)
}
