package watchdog

import (
	"sync"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// What a kite keeps for its crash report: its recent probe results and
// state changes.
const (
	keptProbes      = 20
	keptTransitions = 64
)

// evidence is what a kite's loop has found: the loop, its only writer,
// updates it under mu; the desk reads a copy (snapshot) for a crash
// report. Each probe costs a lock and one slot of a ring; a detail equal
// to the previous probe's is kept once.
type evidence struct {
	mu sync.Mutex // guards everything below

	last       probe.Result
	probes     ring[probe.Result]
	lastFlying time.Time
	state      fsm.State
	history    ring[fsm.Transition]
}

func newEvidence() *evidence {
	return &evidence{
		state:   fsm.Healthy,
		probes:  ring[probe.Result]{n: keptProbes},
		history: ring[fsm.Transition]{n: keptTransitions},
	}
}

// probed records a probe's result.
func (e *evidence) probed(res probe.Result) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if res.Detail == e.last.Detail {
		res.Detail = e.last.Detail // one copy of a detail that repeats
	}
	e.last = res
	e.probes.push(res)
	if res.Verdict == probe.Flying {
		e.lastFlying = res.Start
	}
}

// changed records the machine's state and its last transition after a
// state change.
func (e *evidence) changed(m *fsm.Machine) {
	tr, ok := m.Last()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state = m.State()
	if ok {
		e.history.push(tr)
	}
}

// snapshot is a copy for the crash report of kite.
func (e *evidence) snapshot(kite string) desk.KiteEvidence {
	e.mu.Lock()
	defer e.mu.Unlock()
	return desk.KiteEvidence{
		Name: kite, State: string(e.state), Verdict: string(e.last.Verdict), Detail: e.last.Detail,
		LastFlying: e.lastFlying, History: e.history.list(), Probes: e.probes.list(),
	}
}

// ring keeps the last n values pushed; it grows to n as values come.
type ring[T any] struct {
	buf  []T
	next int // the oldest value's slot once buf is full
	n    int
}

func (r *ring[T]) push(v T) {
	if len(r.buf) < r.n {
		if len(r.buf) == cap(r.buf) {
			// Exactly: append and slices.Grow round up to a size class.
			grown := make([]T, len(r.buf), min(max(2*len(r.buf), 4), r.n))
			copy(grown, r.buf)
			r.buf = grown
		}
		r.buf = append(r.buf, v)
		return
	}
	r.buf[r.next] = v
	r.next = (r.next + 1) % r.n
}

// list returns the values, oldest first (nil when there are none).
func (r *ring[T]) list() []T {
	if len(r.buf) == 0 {
		return nil
	}
	out := make([]T, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}
