package discover

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/pkconfig"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// pagekitec fills in's targets from pagekitec: the command line
// of the running pagekitec (the one in.Restart.PIDFile names, or the only
// one), else OpenWrt's UCI file (discovery.uci_file), which names the kites
// before pagekitec runs. A -Y status file on the command line becomes the
// instance's, unless it has one.
func (d discoverer) pagekitec(in *config.Instance) error {
	pc, from, perr, err := d.findPagekitec(in)
	if err != nil {
		return fmt.Errorf("pagekite %s: %w", in.Name, err)
	}
	via := ""
	if pc.Relay != "" {
		via = "-F/-P of pagekitec"
	}
	var skipped []string
	if perr != nil {
		// Problem texts never hold secrets; each names its kite.
		d.log.Warn("pagekitec's kites have problems; skipped them",
			zap.String("pagekite", in.Name), zap.String("from", from), zap.Int("problems", len(perr.Problems)), zap.Error(perr))
		for _, p := range perr.Problems {
			skipped = append(skipped, p.Msg)
		}
	}
	in.Targets, skipped = d.targetsOf(in, pc.Kites, pc.Relay, via, from, skipped)
	if len(in.Targets) == 0 {
		return fmt.Errorf("pagekite %s: %w: %s gives none%s", in.Name, ErrNoKites, from, skippedNote(skipped))
	}
	if in.StatusFile == "" {
		in.StatusFile = pc.StatusFile
	}
	if pc.Syslog && len(in.LogCommand) == 0 && in.JournalUnit == "" {
		// -s: it logs to syslog, not to the log file the instance names.
		in.LogCommand = d.syslogCommand()
	}
	in.Kind, in.Discovered, in.From = pagekite.C, true, from
	return nil
}

// findPagekitec returns pagekitec's configuration, where it came from,
// and the problems of the kite groups it skipped (nil when none).
func (d discoverer) findPagekitec(in *config.Instance) (*pkconfig.Pagekitec, string, *pkconfig.Errors, error) {
	procs, ignored, scanErr := d.env.Pagekitec(in.Restart.User)
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
			return nil, "", nil, err
		}
		return pc, fmt.Sprintf("pagekitec's command line (pid %d)", procs[0].PID), perr, nil
	case len(procs) > 1:
		pids := make([]string, len(procs))
		for i, p := range procs {
			pids[i] = strconv.Itoa(p.PID)
		}
		return nil, "", nil, fmt.Errorf("%w: several pagekitec processes run (pids %s): give each a [[pagekite]] with its pidfile", ErrNoKites, strings.Join(pids, ", "))
	}
	uci := d.c.Discovery.UCIFile
	if uci == "" {
		return nil, "", nil, fmt.Errorf("%w: no pagekitec runs (%v) and discovery.uci_file is empty", ErrNoKites, scanNote(scanErr, ignored))
	}
	pc, err := pkconfig.ParseUCI(uci)
	var perr *pkconfig.Errors
	switch {
	case errors.As(err, &perr):
		return pc, "UCI file " + uci, perr, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, "", nil, fmt.Errorf("%w: no pagekitec runs (%v), and no UCI file %s", ErrNoKites, scanNote(scanErr, ignored), uci)
	case err != nil:
		return nil, "", nil, err
	}
	return pc, "UCI file " + uci, nil, nil
}

// skippedNote is ": " and why kites were skipped, for the error of an
// instance left with none; "" when none was.
func skippedNote(skipped []string) string {
	if len(skipped) == 0 {
		return ""
	}
	return ": " + strings.Join(skipped, "; ")
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

// syslogCommand is how a pagekitec logging to syslog (-s) is read: OpenWrt's
// logread, else the journal by syslog identifier; nil when neither exists
// (the instance's log_file then stays, e.g. /var/log/syslog if set).
func (d discoverer) syslogCommand() []string {
	if _, err := d.env.LookPath("logread"); err == nil {
		return []string{"logread", "-e", "pagekitec"}
	}
	if _, err := d.env.LookPath("journalctl"); err == nil {
		return []string{"journalctl", "-t", "pagekitec", "-n", "2000", "-o", "short-unix", "--no-pager", "-q"}
	}
	return nil
}
