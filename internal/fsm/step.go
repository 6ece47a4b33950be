package fsm

import (
	"time"

	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// Step is the outcome of one input to the machine.
type Step struct {
	From, To State
	// Event is the transition taken; empty when Changed is false.
	Event   Event
	Changed bool
	// Restart is true exactly when the machine entered restarting: the
	// caller must now run the restart actions and then call Restarted.
	Restart bool
	Verdict probe.Verdict
	Detail  string
	// Note explains the decision, e.g. "restart budget exhausted until ...".
	Note string
}

// Transition is one entry of a machine's history.
type Transition struct {
	At       time.Time
	From, To State
	Event    Event
	Verdict  probe.Verdict
	Detail   string
	Note     string
}
