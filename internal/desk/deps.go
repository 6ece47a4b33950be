package desk

import (
	"context"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/report"
	"github.com/pagekite/pkwatchdogd/internal/sdnotify"
)

// Restarter finds and restarts one instance's PageKite (action.Restarter).
type Restarter interface {
	// Find identifies the process without touching it.
	Find(ctx context.Context) (action.Process, error)
	// RestartFound restarts found, the process Find returned for the
	// decision (nil: none was found; it looks again), because kite is
	// down (or, in dry run, says what it would do), and reports what
	// happened.
	RestartFound(ctx context.Context, kite string, found *action.Process) action.Result
	// RaiseLogLevel asks a pagekitec to log everything (SIGUSR1); it does
	// nothing to other PageKites.
	RaiseLogLevel(ctx context.Context) error
}

// Budget is the persisted restart budget, per instance (ratelimit.Store).
// Times are wall-clock times.
type Budget interface {
	RestartAllowed(instance string, now time.Time) (ok bool, freeAt time.Time)
	RecordRestart(instance string, now time.Time) error
	RestartsInWindow(instance string, now time.Time) int
}

// Reporter takes one crash report per restart. Report must not block.
type Reporter interface {
	Report(in report.Input)
}

// Observer learns of restarts and suppressions, for metrics. Its methods
// must not block.
type Observer interface {
	Restarted(instance string, r action.Result)
	Suppressed(instance string, reason string)
}

// KiteEvidence is what a kite's loop knows of its kite, for the crash
// report.
type KiteEvidence struct {
	Name       string    `json:"name"`
	State      string    `json:"state"`
	Verdict    string    `json:"verdict"`
	Detail     string    `json:"detail"`
	LastFlying time.Time `json:"last_flying,omitzero"`
	History    any       `json:"history,omitempty"`
	Probes     any       `json:"probes,omitempty"`
}

// Deps are the desk's collaborators. Budget is required; the rest may be
// nil.
type Deps struct {
	Budget   Budget
	Reporter Reporter
	Observer Observer
	// Evidence returns what kite's loop knows, for the crash report; ok
	// false for a kite not (or no longer) watched.
	Evidence func(kite string) (KiteEvidence, bool)
	// Uptime is how long the machine has been up (0: unknown).
	Uptime func() time.Duration
	// Changed is called (from the desk's goroutines, must not block)
	// when Snapshot would return something new.
	Changed func()
	// Monitor learns of the desk's progress: its loop is never busy, its
	// worker is busy for one decision and restart at most.
	Monitor *sdnotify.Monitor
}
