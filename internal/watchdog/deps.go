package watchdog

import (
	"context"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/report"
)

// Settings is the part of the config that the loop uses. A reload hands a
// new Settings to Reload; kites whose target is unchanged keep their state.
type Settings struct {
	Interval time.Duration
	// Jitter is the fraction of Interval by which each probe's delay is
	// spread, uniformly, in [0, 0.5].
	Jitter float64
	// Timeout bounds each request of a probe.
	Timeout time.Duration
	Policy  fsm.Policy
	// MinProcessAge holds back a restart of a PageKite process younger
	// than this; StartupDelay one within this time of the watchdog's own
	// start or of boot.
	MinProcessAge time.Duration
	StartupDelay  time.Duration
	DryRun        bool
	// StatusFile is where the status JSON goes; empty disables it.
	StatusFile string
	Targets    []probe.Target
}

// Prober probes one kite end to end. It must honour ctx and return within
// its own timeout.
type Prober interface {
	Probe(ctx context.Context, t probe.Target) probe.Result
}

// Restarter finds and restarts PageKite (internal/action).
type Restarter interface {
	// Find identifies the PageKite process without touching it; the loop
	// uses its start time to hold back restarts of a young process.
	Find(ctx context.Context) (action.Process, error)
	// Restart performs the restart (or, in dry run, only says what it
	// would do) and reports what happened.
	Restart(ctx context.Context, kite string) action.Result
}

// Budget is the persisted restart budget (internal/ratelimit). Times are
// wall-clock times: the budget outlives the process.
type Budget interface {
	RestartAllowed(kite string, now time.Time) (ok bool, freeAt time.Time)
	RecordRestart(kite string, now time.Time) error
	RestartsInWindow(kite string, now time.Time) int
}

// Reporter takes a crash report for building and, rate-limited, uploading.
// Report must not block: probing never waits for a report.
type Reporter interface {
	Report(in report.Input)
}

// Observer is told of every probe result and state change, for metrics. Its
// methods are called from the kite loops and must not block.
type Observer interface {
	Probed(kite string, r probe.Result)
	Changed(kite string, step fsm.Step)
	Restarted(kite string, r action.Result)
	Suppressed(kite string, reason string)
}
