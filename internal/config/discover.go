package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os/exec"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/pkconfig"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// runningPagekitec finds the pagekitec processes (a variable for tests).
var runningPagekitec = action.RunningPagekitec

// discover fills in's targets when no [[kite]] names it: for kind
// pagekitec, pagekitec's kites; otherwise pagekite.py's in rc_dir and,
// for an instance of no kind whose rc files give none (missing, stock,
// empty), pagekitec's. The error of an instance with nothing to watch
// says everything that was looked for.
func (c *Config) discover(log *zap.Logger, in *Instance) error {
	if in.Kind == pagekite.C {
		return c.discoverPagekitec(log, in)
	}
	rcErr := c.discoverRC(log, in)
	if rcErr == nil || in.Kind == pagekite.Py {
		return rcErr
	}
	pcErr := c.discoverPagekitec(log, in)
	if pcErr == nil {
		return nil
	}
	return fmt.Errorf("%w; and %w; or list the kites by hand: [[kite]] name = \"NAME\" (configs/pkwatchdogd.toml)", rcErr, pcErr)
}

// discoverRC fills in's targets from pagekite.py's rc files in its rc_dir.
func (c *Config) discoverRC(log *zap.Logger, in *Instance) error {
	dir := in.RCDir
	if dir == "" {
		return fmt.Errorf("pagekite %s: %w: no [[kite]] names it and it has no rc_dir", in.Name, ErrNoKites)
	}
	pk, err := pkconfig.ParseDir(dir)
	var perr *pkconfig.Errors
	switch {
	case errors.As(err, &perr):
		if log != nil {
			// Problem texts never hold secrets.
			log.Warn("pagekite config has bad lines; skipped them",
				zap.String("pagekite", in.Name), zap.String("dir", dir), zap.Int("problems", len(perr.Problems)), zap.Error(err))
		}
	case err != nil:
		return fmt.Errorf("pagekite %s: no pagekite.py rc files: %w", in.Name, err)
	}
	if pk.NotConfigured {
		return fmt.Errorf("pagekite %s: discover kites in %s: %w (abort_not_configured is set): configure PageKite or add [[kite]] entries", in.Name, dir, ErrNotConfigured)
	}
	relay, via := relayOf(pk)
	in.Targets = c.targetsOf(log, in, pk.Kites, relay, via, dir)
	if len(in.Targets) == 0 {
		return fmt.Errorf("pagekite %s: discover kites in %s: %w: no enabled service_on line", in.Name, dir, ErrNoKites)
	}
	in.Discovered, in.From = true, "rc files in "+dir
	return nil
}

// discoverPagekitec fills in's targets from pagekitec: the command line
// of the running pagekitec (the one in.Restart.PIDFile names, or the only
// one), else OpenWrt's UCI file (discovery.uci_file), which names the kites
// before pagekitec runs. A -Y status file on the command line becomes the
// instance's, unless it has one.
func (c *Config) discoverPagekitec(log *zap.Logger, in *Instance) error {
	pc, from, err := c.findPagekitec(in)
	if err != nil {
		return fmt.Errorf("pagekite %s: %w", in.Name, err)
	}
	via := ""
	if pc.Relay != "" {
		via = "-F/-P of pagekitec"
	}
	in.Targets = c.targetsOf(log, in, pc.Kites, pc.Relay, via, from)
	if len(in.Targets) == 0 {
		return fmt.Errorf("pagekite %s: %w: %s gives none", in.Name, ErrNoKites, from)
	}
	if in.StatusFile == "" {
		in.StatusFile = pc.StatusFile
	}
	if pc.Syslog && len(in.LogCommand) == 0 && in.JournalUnit == "" {
		// -s: it logs to syslog, not to the log file the instance names.
		in.LogCommand = syslogCommand()
	}
	in.Kind, in.Discovered, in.From = pagekite.C, true, from
	return nil
}

// findPagekitec returns pagekitec's configuration and where it came from.
func (c *Config) findPagekitec(in *Instance) (*pkconfig.Pagekitec, string, error) {
	procs, ignored, scanErr := runningPagekitec(in.Restart.User)
	if want := pidFromFile(in.Restart.PIDFile); want > 0 {
		var mine []action.Process
		for _, p := range procs {
			if p.PID == want {
				mine = append(mine, p)
			}
		}
		procs = mine
	}
	switch {
	case len(procs) == 1:
		pc, err := pkconfig.ParsePagekitec(procs[0].Cmdline[1:])
		var perr *pkconfig.Errors
		if err != nil && !errors.As(err, &perr) {
			return nil, "", err
		}
		return pc, fmt.Sprintf("pagekitec's command line (pid %d)", procs[0].PID), nil
	case len(procs) > 1:
		pids := make([]string, len(procs))
		for i, p := range procs {
			pids[i] = strconv.Itoa(p.PID)
		}
		return nil, "", fmt.Errorf("%w: several pagekitec processes run (pids %s): give each a [[pagekite]] with its pidfile", ErrNoKites, strings.Join(pids, ", "))
	}
	uci := c.Discovery.UCIFile
	if uci == "" {
		return nil, "", fmt.Errorf("%w: no pagekitec runs (%v) and discovery.uci_file is empty", ErrNoKites, scanNote(scanErr, ignored))
	}
	pc, err := pkconfig.ParseUCI(uci)
	var perr *pkconfig.Errors
	switch {
	case errors.As(err, &perr):
		return pc, "UCI file " + uci, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, "", fmt.Errorf("%w: no pagekitec runs (%v), and no UCI file %s", ErrNoKites, scanNote(scanErr, ignored), uci)
	case err != nil:
		return nil, "", err
	}
	return pc, "UCI file " + uci, nil
}

// scanNote is what the /proc scan said, for errors: failed, found none,
// or left out pagekitec processes that are not PageKite's to watch.
func scanNote(err error, ignored []error) string {
	if err != nil {
		return "the /proc scan failed: " + err.Error()
	}
	if len(ignored) > 0 {
		why := make([]string, len(ignored))
		for i, err := range ignored {
			why[i] = err.Error()
		}
		return "none in /proc that passes the proof; left out: " + strings.Join(why, "; ")
	}
	return "none in /proc"
}

// pidFromFile is the PID in a pid file, or 0.
func pidFromFile(path string) int {
	if path == "" {
		return 0
	}
	b, err := safefile.ReadFile(path, 64) // a FIFO here must not block discovery
	if err != nil {
		return 0
	}
	pid, err := action.ParsePID(b)
	if err != nil {
		return 0
	}
	return pid
}

// targetsOf turns discovered kites into targets probed through relay
// (ConnectTo; "" dials the kite's name), skipping names that are not host
// names (with a warning naming from).
func (c *Config) targetsOf(log *zap.Logger, in *Instance, kites []pkconfig.Kite, relay, via, from string) []probe.Target {
	var out []probe.Target
	for _, k := range kites {
		if !validHostname(k.Name) {
			if log != nil {
				log.Warn("pagekite config names a kite that is not a host name; skipped it",
					zap.String("pagekite", in.Name), zap.String("from", from), zap.String("kite", k.Name))
			}
			continue
		}
		if t, s, ok := discoveredTarget(k, c.Discovery.TLSProbe); ok {
			t.ConnectTo, t.Via = onPublicPort(t, s, relay, via)
			out = append(out, t)
		}
	}
	return out
}

// onPublicPort is the relay address a web kite is probed through, and
// where it comes from: the relay's host on the kite's public port when
// the config fixes one (pagekite.py's http/8080, pagekitec's PPORT: a
// relay serves such a kite on that port only, and answers "not
// connected" on its others), else relay as it is. Raw kites name their
// port in CONNECT and go through relay.
func onPublicPort(t probe.Target, s pkconfig.Service, relay, via string) (string, string) {
	if relay == "" || t.Kind != probe.KindHTTP || s.PublicPort <= 0 {
		return relay, via
	}
	host, port, err := net.SplitHostPort(relay)
	pub := strconv.Itoa(s.PublicPort)
	if err != nil || port == pub {
		return relay, via
	}
	return net.JoinHostPort(host, pub), via + ", on the kite's public port " + pub
}

// pagekitecSecrets are the secrets of the running pagekitec processes and
// of the UCI file, for the redactor.
func (c *Config) pagekitecSecrets() []string {
	var out []string
	if procs, _, err := runningPagekitec(""); err == nil {
		for _, p := range procs {
			if pc, _ := pkconfig.ParsePagekitec(p.Cmdline[1:]); pc != nil {
				out = append(out, pc.Secrets...)
			}
		}
	}
	if c.Discovery.UCIFile != "" {
		if pc, _ := pkconfig.ParseUCI(c.Discovery.UCIFile); pc != nil {
			out = append(out, pc.Secrets...)
		}
	}
	return out
}

// statusPath is a status_file value without its "json:" or "text:"
// prefix (pagekitec's -Y takes both forms; the reader knows both).
func statusPath(v string) string {
	if f, path, ok := strings.Cut(v, ":"); ok && (strings.EqualFold(f, "json") || strings.EqualFold(f, "text")) {
		return path
	}
	return v
}

// syslogCommand is how a pagekitec logging to syslog (-s) is read: OpenWrt's
// logread, else the journal by syslog identifier; nil when neither exists
// (the instance's log_file then stays, e.g. /var/log/syslog if set).
func syslogCommand() []string {
	if _, err := lookPath("logread"); err == nil {
		return []string{"logread", "-e", "pagekitec"}
	}
	if _, err := lookPath("journalctl"); err == nil {
		return []string{"journalctl", "-t", "pagekitec", "-n", "2000", "-o", "short-unix", "--no-pager", "-q"}
	}
	return nil
}

// lookPath finds a program (a variable for tests).
var lookPath = exec.LookPath
