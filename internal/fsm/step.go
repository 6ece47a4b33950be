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
	// Held: grace ran out on a kite-down, but the gate held the restart
	// back (Note says why); the kite stays in grace.
	Held bool
}

// Transition is one entry of a machine's history.
type Transition struct {
	At      time.Time     `json:"at"`
	From    State         `json:"from"`
	To      State         `json:"to"`
	Event   Event         `json:"event"`
	Verdict probe.Verdict `json:"verdict,omitempty"`
	Detail  string        `json:"detail,omitempty"`
	Note    string        `json:"note,omitempty"`
}
