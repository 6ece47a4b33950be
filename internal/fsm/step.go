package fsm

import "time"

// Step is the outcome of one input to the machine.
type Step struct {
	From, To State
	// Event is the transition taken; empty when Changed is false.
	Event   Event
	Changed bool
	// Due is true when grace ran out on a Down: a restart decision is due,
	// and the caller must ask for one (the machine stays in grace, and
	// says Due again on every Down until Hold, Begin or Cool answers).
	Due bool
	// Held: Hold kept the machine in grace; Note says why.
	Held    bool
	Verdict string
	Detail  string
	// Note explains the step, e.g. "restart budget exhausted until ...".
	Note string
}

// Transition is one entry of a machine's history.
type Transition struct {
	At      time.Time `json:"at"`
	From    State     `json:"from"`
	To      State     `json:"to"`
	Event   Event     `json:"event"`
	Verdict string    `json:"verdict,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	Note    string    `json:"note,omitempty"`
}
