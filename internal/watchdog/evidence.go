package watchdog

import (
	"sync"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// keptProbes is how many recent probe results a kite keeps for its crash
// report.
const keptProbes = 20

// evidence is what a kite's loop has found: the loop, its only writer,
// updates it under mu and reads it without; the desk reads a copy
// (snapshot) for a crash report. Each probe costs a lock and a shift of
// keptProbes results; the state history is copied only when the state
// changes.
type evidence struct {
	mu sync.Mutex // guards writes, and reads from other goroutines

	last       probe.Result
	probes     []probe.Result // the last keptProbes, oldest first
	lastFlying time.Time
	state      fsm.State
	history    []fsm.Transition // as of the last state change
}

// probed records a probe's result.
func (e *evidence) probed(res probe.Result) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.last = res
	if len(e.probes) == keptProbes {
		e.probes = append(e.probes[:0], e.probes[1:]...)
	}
	e.probes = append(e.probes, res)
	if res.Verdict == probe.Flying {
		e.lastFlying = res.Start
	}
}

// changed records the machine's state and history after a state change.
func (e *evidence) changed(m *fsm.Machine) {
	h := m.History()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state, e.history = m.State(), h
}

// snapshot is a copy for the crash report of kite.
func (e *evidence) snapshot(kite string) desk.KiteEvidence {
	e.mu.Lock()
	defer e.mu.Unlock()
	return desk.KiteEvidence{
		Name: kite, State: string(e.state), Verdict: string(e.last.Verdict), Detail: e.last.Detail,
		LastFlying: e.lastFlying, History: e.history, Probes: append([]probe.Result(nil), e.probes...),
	}
}
