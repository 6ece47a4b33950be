package fsm

import "slices"

// State is a state of the per-kite machine. The string values appear in
// logs, the status file and metrics.
type State string

// The states.
const (
	Healthy    State = "healthy"
	Suspect    State = "suspect"
	Grace      State = "grace"
	Restarting State = "restarting"
	Cooldown   State = "cooldown"
)

// AllStates returns every state, in the order of the cycle.
func AllStates() []State { return slices.Clone(allStates[:]) }

var allStates = [...]State{Healthy, Suspect, Grace, Restarting, Cooldown}

// Event names a transition.
type Event string

// The events. Each is one looplab event.
const (
	// EvSuspect: the first kite-down seen while healthy.
	EvSuspect Event = "suspect"
	// EvThreshold: FailureThreshold consecutive kite-downs; grace begins.
	EvThreshold Event = "threshold"
	// EvUp: Up evidence ends suspect, grace or an expired cooldown.
	EvUp Event = "up"
	// EvExpire: the desk began the restart that grace running out asked
	// for (Begin).
	EvExpire Event = "expire"
	// EvSuppress: grace ran out, but the desk will not restart (restart
	// budget spent, the instance cooling down): Cool without a restart.
	EvSuppress Event = "suppress"
	// EvRestarted: the kite's PageKite instance was restarted (Cool after
	// a restart); reaches every kite of the instance.
	EvRestarted Event = "restarted"
	// EvRelapse: Down at or after the cooldown deadline.
	EvRelapse Event = "relapse"
	// EvRebaseline: the machine slept; suspect and grace start over.
	EvRebaseline Event = "rebaseline"
	// EvReject: the relay refuses the kite (Rejected evidence) while it
	// is healthy, in grace or past its cooldown: it waits in suspect,
	// held, since no restart can be due while the refusal stands.
	EvReject Event = "reject"
)

// AllEvents returns every event.
func AllEvents() []Event { return slices.Clone(allEvents[:]) }

var allEvents = [...]Event{EvSuspect, EvThreshold, EvUp, EvExpire, EvSuppress, EvRestarted, EvRelapse, EvRebaseline, EvReject}

// transition is one row of the table handed to looplab.
type transition struct {
	ev  Event
	src []State
	dst State
}

// transitions returns the transition table handed to looplab: event →
// sources → destination.
func transitions() []transition {
	return []transition{
		{EvSuspect, []State{Healthy}, Suspect},
		{EvThreshold, []State{Healthy, Suspect}, Grace},
		{EvUp, []State{Suspect, Grace, Cooldown}, Healthy},
		{EvExpire, []State{Grace}, Restarting},
		{EvSuppress, []State{Grace}, Cooldown},
		{EvRestarted, []State{Healthy, Suspect, Grace, Restarting}, Cooldown},
		{EvRelapse, []State{Cooldown}, Suspect},
		{EvRebaseline, []State{Suspect, Grace}, Healthy},
		{EvReject, []State{Healthy, Grace, Cooldown}, Suspect},
	}
}
