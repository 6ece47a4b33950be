package config

import (
	"fmt"
	"github.com/pagekite/pkwatchdogd/internal/action"
	"net"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/pkconfig"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// Instance is one PageKite instance with every key resolved: the
// [[pagekite]] entry over [restart] and [report], or, with no [[pagekite]],
// the implicit instance DefaultInstance made of [restart],
// [report].log_file/journal_unit and [discovery].pagekite_dir.
type Instance struct {
	Name string
	// Kind is pagekite.Py, pagekite.C or pagekite.Unknown (guessed from
	// the process).
	Kind pagekite.Kind
	// Restart are its resolved restart keys, as the config spells them;
	// Action is what they mean to its restarter (set by Instances).
	Restart     Restart
	Action      action.Options
	LogFile     string
	JournalUnit string
	// LogCommand, when set, is the command whose output is its log.
	LogCommand []string
	// RCDir is where its kites are discovered when no [[kite]] names it.
	RCDir string
	// StatusFile is pagekitec's -Y status file: the [[pagekite]]'s, or
	// the one its command line names (when discovered from it).
	StatusFile string
	// Targets are its kites: the [[kite]] entries that name it, or those
	// discovered in RCDir (Discovered).
	Targets    []probe.Target
	Discovered bool
	// From says where discovered kites came from, for validate: "rc files
	// in DIR", "pagekitec's command line (pid N)", "UCI file FILE".
	From string
}

// Specs returns the instances without their kites, resolved from the
// config alone (no file is read), in config order. A config with no
// [[pagekite]] has one, DefaultInstance.
func (c *Config) Specs() []Instance {
	if len(c.Pagekites) == 0 {
		return []Instance{{
			Name:        DefaultInstance,
			Restart:     c.Restart,
			LogFile:     c.Report.LogFile,
			JournalUnit: c.Report.JournalUnit,
			LogCommand:  c.Report.LogCommand,
			RCDir:       c.Discovery.PagekiteDir,
		}}
	}
	out := make([]Instance, len(c.Pagekites))
	for i, p := range c.Pagekites {
		out[i] = c.resolve(p)
	}
	return out
}

// resolve is p with every key left out taken from [restart] and [report].
func (c *Config) resolve(p Pagekite) Instance {
	in := Instance{Name: p.Name, Kind: p.Kind, Restart: c.Restart, LogFile: c.Report.LogFile,
		JournalUnit: c.Report.JournalUnit, RCDir: p.RCDir, StatusFile: statusPath(p.StatusFile)}
	if in.RCDir == "" && len(c.Pagekites) == 1 {
		in.RCDir = c.Discovery.PagekiteDir
	}
	pick(&in.LogFile, p.LogFile)
	pick(&in.JournalUnit, p.JournalUnit)
	in.LogCommand = c.Report.LogCommand
	pick(&in.LogCommand, p.LogCommand)
	r := &in.Restart
	pick(&r.DryRun, p.DryRun)
	pick(&r.Method, p.Method)
	pick(&r.PIDFile, p.PIDFile)
	pick(&r.Unit, p.Unit)
	pick(&r.ProcessMatch, p.ProcessMatch)
	pick(&r.User, p.User)
	pick(&r.Signal, p.Signal)
	pick(&r.Diagnostics, p.Diagnostics)
	pick(&r.Stacks, p.Stacks)
	pick(&r.StacksTimeout, p.StacksTimeout)
	pick(&r.KillTimeout, p.KillTimeout)
	pick(&r.RespawnTimeout, p.RespawnTimeout)
	pick(&r.StartCommand, p.StartCommand)
	pick(&r.Command, p.Command)
	pick(&r.CommandTimeout, p.CommandTimeout)
	return in
}

// pick sets *dst to *v when v is set.
func pick[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// owner returns the instance a [[kite]] belongs to: the one it names, or
// the only one.
func (c *Config) owner(k Kite, specs []Instance) string {
	if k.Pagekite != "" || len(specs) != 1 {
		return k.Pagekite
	}
	return specs[0].Name
}

// Instances returns every PageKite instance with the kites it flies: the
// [[kite]] entries that name it, or, for an instance no [[kite]] names,
// the kites discovered in its rc_dir.
//
// Discovery makes one target per kite name (see discoveredTarget),
// probed through the relay the rc files name (see relayOf). Lines of the rc files that do not parse are logged (log may be
// nil) and skipped; the other kites are still watched.
//
// It returns:
//   - (instances, nil): every instance has at least one kite;
//   - (nil, err wrapping ErrNotConfigured): an instance's rc files are the
//     stock, unconfigured ones (abort_not_configured);
//   - (nil, err wrapping ErrNoKites): an instance has no kite;
//   - (nil, err): an rc_dir cannot be read (wraps the os error), or the same
//     kite is found in two instances.
//
// The config must be valid (Load validates).
func (c *Config) Instances(log *zap.Logger) ([]Instance, error) {
	kites := Config{Kites: append([]Kite(nil), c.Kites...)}
	kites.fillKiteDefaults() // for a Config built in code rather than loaded
	specs := c.Specs()
	index := make(map[string]int, len(specs))
	for i, in := range specs {
		index[in.Name] = i
	}
	for _, k := range kites.Kites {
		i, ok := index[c.owner(k, specs)]
		if !ok {
			return nil, fmt.Errorf("kite %s: %w: no [[pagekite]] named %q", k.Name, ErrNoKites, k.Pagekite)
		}
		specs[i].Targets = append(specs[i].Targets, probe.Target{
			Name: k.Name, Kind: probe.Kind(k.Kind), URL: k.URL, Port: k.Port, ConnectTo: k.ConnectTo,
			HTTPSOnly: k.HTTPSOnly, Expect: k.Expect,
		})
	}
	seen := map[string]string{}
	for i := range specs {
		in := &specs[i]
		var err error
		if in.Action, err = actionOptions(in.Restart); err != nil {
			return nil, fmt.Errorf("pagekite %s: %w", in.Name, err)
		}
		if len(in.Targets) == 0 {
			if err := c.discover(log, in); err != nil {
				return nil, err
			}
		}
		for _, t := range in.Targets {
			if other, dup := seen[t.Name]; dup {
				return nil, fmt.Errorf("kite %s is flown by two PageKite instances, %s and %s: give it one [[kite]] entry with its pagekite", t.Name, other, in.Name)
			}
			seen[t.Name] = in.Name
		}
	}
	return specs, nil
}

// discoveredTarget turns a kite found in pagekite.py's files into a
// target, probed over plain HTTP unless it has only an HTTPS service and
// tlsProbe is set:
//
//   - an http or websocket service on the default port: http://NAME/;
//     only on another port: http://NAME:PORT/;
//   - only https: http://NAME/ (HTTPSOnly), or https://NAME/ with tlsProbe
//     (NAME:PORT for a non-default port);
//   - otherwise its first raw-N service: CONNECT NAME:N.
func discoveredTarget(k pkconfig.Kite, tlsProbe bool) (probe.Target, pkconfig.Service, bool) {
	web := func(protos ...string) (pkconfig.Service, bool) {
		var found *pkconfig.Service
		for i, s := range k.Services {
			if !slices.Contains(protos, s.Base()) {
				continue
			}
			if s.Port == 0 {
				return s, true
			}
			if found == nil {
				found = &k.Services[i]
			}
		}
		if found == nil {
			return pkconfig.Service{}, false
		}
		return *found, true
	}
	hostPort := func(s pkconfig.Service) string {
		if s.Port == 0 {
			return k.Name
		}
		return k.Name + ":" + strconv.Itoa(s.Port)
	}
	if s, ok := web("http", "websocket"); ok {
		return probe.Target{Name: k.Name, Kind: probe.KindHTTP, URL: "http://" + hostPort(s) + "/"}, s, true
	}
	if s, ok := web("https"); ok {
		if tlsProbe {
			return probe.Target{Name: k.Name, Kind: probe.KindHTTP, URL: "https://" + hostPort(s) + "/"}, s, true
		}
		return probe.Target{Name: k.Name, Kind: probe.KindHTTP, URL: "http://" + hostPort(s) + "/", HTTPSOnly: true}, s, true
	}
	for _, s := range k.Services {
		if s.Base() == "raw" && s.Port > 0 {
			return probe.Target{Name: k.Name, Kind: probe.KindRaw, Port: s.Port}, s, true
		}
	}
	return probe.Target{}, pkconfig.Service{}, false
}

// relayOf returns the relay that pagekite.py's files name for their kites,
// "host:port", and says where it comes from: a single frontend =
// host:port, or frontends = 1:dnsname:port. With defaults (pagekite.net),
// a pool of several, or several relays, it returns "": the probe then
// connects to the kite's name, which resolves to a relay the kite flies
// on.
func relayOf(pk *pkconfig.Config) (addr, via string) {
	seen := map[string]bool{}
	for _, f := range pk.Frontends {
		parts := strings.Split(f, ":")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		switch {
		case len(parts) == 2:
			addr, via = net.JoinHostPort(parts[0], parts[1]), "frontend = "+f
		case len(parts) == 3 && parts[0] == "1":
			addr, via = net.JoinHostPort(parts[1], parts[2]), "frontends = "+f
		default:
			return "", "" // a pool: any of several relays
		}
		seen[addr] = true
	}
	if len(seen) != 1 {
		return "", ""
	}
	return addr, via
}

// Secrets returns the secrets in pagekite.py's files in every instance's
// rc_dir and in discovery.pagekite_dir (even when [[kite]] entries are
// configured), on the command lines of the running pagekitec processes and
// in discovery.uci_file, for the crash-report redactor; what cannot be
// read gives none. Never log them.
func (c *Config) Secrets() []string {
	dirs := []string{c.Discovery.PagekiteDir}
	for _, in := range c.Specs() {
		dirs = append(dirs, in.RCDir)
	}
	var out []string
	done := map[string]bool{"": true}
	for _, dir := range dirs {
		if done[dir] {
			continue
		}
		done[dir] = true
		if pk, _ := pkconfig.ParseDir(dir); pk != nil {
			out = append(out, pk.Secrets...)
		}
	}
	return append(out, c.pagekitecSecrets()...)
}

// ForceDryRun makes every instance a dry run (run --dry-run), whatever
// [restart] and [[pagekite]] say.
func (c *Config) ForceDryRun() {
	c.Restart.DryRun = true
	for i := range c.Pagekites {
		yes := true
		c.Pagekites[i].DryRun = &yes
	}
}
