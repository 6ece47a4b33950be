package fsm

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
func AllStates() []State { return []State{Healthy, Suspect, Grace, Restarting, Cooldown} }

// Event names a transition.
type Event string

// The events. Each is one looplab event.
const (
	// EvSuspect: the first kite-down seen while healthy.
	EvSuspect Event = "suspect"
	// EvThreshold: FailureThreshold consecutive kite-downs; grace begins.
	EvThreshold Event = "threshold"
	// EvUp: an up verdict (flying, backend-down) ends suspect, grace or an
	// expired cooldown.
	EvUp Event = "up"
	// EvExpire: a kite-down at or after the grace deadline, gate open.
	EvExpire Event = "expire"
	// EvSuppress: grace expired but the restart budget is exhausted.
	EvSuppress Event = "suppress"
	// EvRestarted: the caller ran the restart actions.
	EvRestarted Event = "restarted"
	// EvRelapse: a kite-down at or after the cooldown deadline.
	EvRelapse Event = "relapse"
	// EvRebaseline: the machine slept; suspect and grace start over.
	EvRebaseline Event = "rebaseline"
)

// AllEvents returns every event.
func AllEvents() []Event {
	return []Event{EvSuspect, EvThreshold, EvUp, EvExpire, EvSuppress, EvRestarted, EvRelapse, EvRebaseline}
}

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
		{EvRestarted, []State{Restarting}, Cooldown},
		{EvRelapse, []State{Cooldown}, Suspect},
		{EvRebaseline, []State{Suspect, Grace}, Healthy},
	}
}
