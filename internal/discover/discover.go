package discover

import (
	"fmt"
	"os/exec"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
)

// Env is what discovery reads of the machine besides files. System is
// this machine's; a test gives its own (the real pagekitec cannot be
// installed here).
type Env struct {
	// Pagekitec lists the running pagekitec processes of user ("" any)
	// that pass action's proof, with why others were left out, or the
	// error of the /proc scan (action.RunningPagekitec).
	Pagekitec func(user string) ([]action.Process, []error, error)
	// LookPath finds a program on PATH (exec.LookPath).
	LookPath func(name string) (string, error)
}

// System is this machine: its /proc and its PATH.
func System() Env {
	return Env{Pagekitec: action.RunningPagekitec, LookPath: exec.LookPath}
}

// Instances returns every PageKite instance of c with the kites it flies:
// the [[kite]] entries that name it, or, for an instance no [[kite]] names,
// the kites discovered in its rc_dir.
//
// Discovery makes one target per kite name (see discoveredTarget),
// probed through the relay the rc files name (see relayOf), or reads
// pagekitec's command line or UCI file (see pagekitec). Lines of the rc
// files that do not parse are logged (log may be nil) and skipped; the
// other kites are still watched.
//
// It returns:
//   - (instances, nil): every instance has at least one kite;
//   - (nil, err wrapping ErrNotConfigured): an instance's rc files are the
//     stock, unconfigured ones (abort_not_configured);
//   - (nil, err wrapping ErrNoKites): an instance has no kite;
//   - (nil, err): an rc_dir cannot be read (wraps the os error), or the same
//     kite is found in two instances.
//
// The config must be valid (Load validates). env is what it reads of the
// machine besides files: System, or a test's.
func Instances(log *zap.Logger, c *config.Config, env Env) ([]config.Instance, error) {
	ins, err := c.Instances()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	d := discoverer{log: log, c: c, env: env}
	seen := map[string]string{}
	for i := range ins {
		in := &ins[i]
		if len(in.Targets) == 0 {
			if err := d.discover(in); err != nil {
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
	return ins, nil
}

// discoverer is one Instances call: its log, config and machine.
type discoverer struct {
	log *zap.Logger
	c   *config.Config
	env Env
}

// discover fills in's targets when no [[kite]] names it: for kind
// pagekitec, pagekitec's kites; otherwise pagekite.py's in rc_dir and,
// for an instance of no kind whose rc files give none (missing, stock,
// empty), pagekitec's. The error of an instance with nothing to watch
// says everything that was looked for.
func (d discoverer) discover(in *config.Instance) error {
	if in.Kind == pagekite.C {
		return d.pagekitec(in)
	}
	rcErr := d.rc(in)
	if rcErr == nil || in.Kind == pagekite.Py {
		return rcErr
	}
	pcErr := d.pagekitec(in)
	if pcErr == nil {
		return nil
	}
	return fmt.Errorf("%w; and %w; or list the kites by hand: [[kite]] name = \"NAME\" (configs/pkwatchdogd.toml)", rcErr, pcErr)
}
