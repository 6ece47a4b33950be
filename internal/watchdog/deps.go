package watchdog

import (
	"context"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// Settings is the part of the config that the loop uses. A reload hands a
// new Settings to Reload; kites whose target and instance are unchanged
// keep their state.
type Settings struct {
	Interval time.Duration
	// Jitter is the fraction of Interval by which each probe's delay is
	// spread, uniformly, in [0, 0.5].
	Jitter float64
	// Timeout bounds each request of a probe.
	Timeout time.Duration
	Policy  fsm.Policy
	// DryRun: some instance is a dry run (for the status file and
	// STATUS=); each instance's restarter and policy carry its own.
	DryRun bool
	// StatusFile is where the status JSON goes; empty disables it.
	StatusFile string
	// RestartNeeded lists reloaded keys that take effect only after a
	// restart of pkwatchdogd, for the status file and STATUS=.
	RestartNeeded []string
	// Instances are the PageKite instances and their kites (Targets; the
	// watchdog sets Kites).
	Instances []desk.Instance
}

// instance returns the instance called name, or nil.
func (s *Settings) instance(name string) *desk.Instance {
	for i := range s.Instances {
		if s.Instances[i].Name == name {
			return &s.Instances[i]
		}
	}
	return nil
}

// Kites returns how many kites s watches, over every instance.
func (s *Settings) Kites() int {
	n := 0
	for _, in := range s.Instances {
		n += len(in.Targets)
	}
	return n
}

// Prober probes one kite end to end. It must honour ctx and return within
// its own timeout.
type Prober interface {
	Probe(ctx context.Context, t probe.Target) probe.Result
}

// Observer is told of every probe result and state change (from the kite
// loops), of every restart and suppression (from the desk), and of kites
// no longer watched (Forget, after their loop ended), for metrics. Its
// methods must not block.
type Observer interface {
	Probed(kite string, r probe.Result)
	Changed(kite string, step fsm.Step)
	Forget(kite string)
	desk.Observer
}
