package fsm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/looplab/fsm"
)

// Machine is the state machine of one kite. It is not safe for concurrent
// use.
type Machine struct {
	kite   string
	policy Policy
	state  State

	since    time.Time
	count    int
	deadline time.Time // grace or cooldown deadline; zero otherwise

	// relapse: the kite's instance was restarted and the kite has not
	// been healthy since for as long as that restart's cooldown (coolLen).
	relapse bool
	coolLen time.Duration

	// fired counts the looplab callbacks run, by callbackKeys index;
	// written only by the callbacks, read by tests.
	fired [len(allStates) + len(allEvents)]uint32

	// last is the last transition; ok once there is one.
	last   Transition
	lastOK bool
}

// New returns the machine of kite, healthy since now.
func New(kite string, p Policy, now time.Time) *Machine {
	return &Machine{kite: kite, policy: p, state: Healthy, since: now}
}

// The transition table: one looplab machine that every Machine's
// transitions go through. A Machine keeps its own state; fire sets it on
// the table, fires the event and reads where it went, under tableMu.
// (A looplab machine per kite cost 3.3 KB of maps and closures each: 16.5
// MB at 5000 kites.)
var (
	tableMu sync.Mutex
	table   = sync.OnceValue(newTable)
)

func newTable() *fsm.FSM {
	var evs fsm.Events
	for _, tr := range transitions() {
		src := make([]string, len(tr.src))
		for i, s := range tr.src {
			src[i] = string(s)
		}
		evs = append(evs, fsm.EventDesc{Name: string(tr.ev), Src: src, Dst: string(tr.dst)})
	}
	return fsm.NewFSM(string(Healthy), evs, callbacks())
}

// callbackKeys are the looplab callbacks, from the typed names: one
// enter_<state> per state and one after_<event> per event.
func callbackKeys() []string {
	var keys []string
	for _, s := range AllStates() {
		keys = append(keys, "enter_"+string(s))
	}
	for _, ev := range AllEvents() {
		keys = append(keys, "after_"+string(ev))
	}
	return keys
}

// callbacks only record, on the Machine that fire passes as the event's
// argument.
func callbacks() fsm.Callbacks {
	cbs := fsm.Callbacks{}
	for i, key := range callbackKeys() {
		cbs[key] = func(_ context.Context, e *fsm.Event) {
			if len(e.Args) > 0 {
				if m, ok := e.Args[0].(*Machine); ok {
					m.fired[i]++
				}
			}
		}
	}
	return cbs
}

// Kite returns the kite's name.
func (m *Machine) Kite() string { return m.kite }

// State returns the current state.
func (m *Machine) State() State { return m.state }

// Since returns when the current state was entered.
func (m *Machine) Since() time.Time { return m.since }

// Count returns the consecutive Down verdicts counted since the last Up
// (zero when healthy).
func (m *Machine) Count() int { return m.count }

// Deadline returns the end of grace (or of a hold) or of cooldown; zero in
// other states.
func (m *Machine) Deadline() time.Time { return m.deadline }

// Relapse reports whether the kite's instance was restarted and the kite
// has not been healthy since for a whole cooldown: a restart asked for now
// follows one that did not help, and the desk doubles its cooldown.
func (m *Machine) Relapse() bool { return m.relapse }

// Last returns the last transition, ok false before the first. Keeping
// a history is the caller's (one kite's crash report keeps 64).
func (m *Machine) Last() (tr Transition, ok bool) { return m.last, m.lastOK }

// SetPolicy replaces the policy (config reload). The state, count and
// running deadlines are kept.
func (m *Machine) SetPolicy(p Policy) { m.policy = p }

// Observe feeds one probe's evidence, taken at now; verdict and detail are
// recorded with it. Evidence outside the known values is Inconclusive.
func (m *Machine) Observe(now time.Time, ev Evidence, verdict, detail string) Step {
	st := Step{From: m.State(), To: m.State(), Verdict: verdict, Detail: detail}
	// A kite healthy for a whole cooldown since its instance's restart
	// shows that the restart helped.
	if st.From == Healthy && m.relapse && now.Sub(m.since) >= m.coolLen {
		m.relapse = false
	}
	switch st.From {
	case Healthy:
		if ev == Down {
			m.count = 1
			return m.countDown(now, st)
		}
	case Suspect:
		switch ev {
		case Up:
			return m.fire(now, st, EvUp, "")
		case Down:
			m.count++
			return m.countDown(now, st)
		}
	case Grace:
		switch ev {
		case Up:
			return m.fire(now, st, EvUp, "")
		case Down:
			m.count++
			if now.Before(m.deadline) {
				st.Note = "grace until " + m.deadline.Format(time.RFC3339)
				return st
			}
			st.Due = true
			st.Note = "grace over: restart decision due"
			return st
		}
	case Restarting:
		st.Note = "restart in progress"
	case Cooldown:
		if now.Before(m.deadline) || (ev != Up && ev != Down) {
			st.Note = "cooldown until " + m.deadline.Format(time.RFC3339)
			return st
		}
		if ev == Up {
			return m.fire(now, st, EvUp, "")
		}
		m.count = 1
		return m.fire(now, st, EvRelapse, "")
	}
	return st
}

// countDown moves healthy or suspect on after a counted Down.
func (m *Machine) countDown(now time.Time, st Step) Step {
	if m.count >= m.policy.threshold() {
		m.deadline = now.Add(m.policy.GracePeriod)
		return m.fire(now, st, EvThreshold, "grace until "+m.deadline.Format(time.RFC3339))
	}
	note := fmt.Sprintf("kite-down %d of %d", m.count, m.policy.threshold())
	if st.From == Healthy {
		return m.fire(now, st, EvSuspect, note)
	}
	st.Note = note
	return st
}

// Hold answers a due decision with "not yet": in grace, the deadline moves
// to until (startup delay, a young PageKite process) and the Step is Held
// with reason as its Note. Outside grace it changes nothing.
func (m *Machine) Hold(now, until time.Time, reason string) Step {
	st := Step{From: m.State(), To: m.State()}
	if st.From != Grace {
		st.Note = "not in grace"
		return st
	}
	m.deadline = until
	st.Held = true
	st.Note = fmt.Sprintf("restart held until %s: %s", until.Format(time.RFC3339), reason)
	return st
}

// Begin answers a due decision with "restarting now": grace → restarting.
// Outside grace it changes nothing.
func (m *Machine) Begin(now time.Time, note string) Step {
	st := Step{From: m.State(), To: m.State()}
	if st.From != Grace {
		st.Note = "not in grace"
		return st
	}
	return m.fire(now, st, EvExpire, note)
}

// Cool moves the machine to cooldown until then. restarted says that the
// kite's instance was restarted (outcome in note); that reaches the kite
// from any state but cooldown, where only the deadline moves. Without
// restarted (budget spent, the instance already cooling down) only a kite
// in grace moves, and one in cooldown has its deadline moved.
func (m *Machine) Cool(now, until time.Time, restarted bool, note string) Step {
	st := Step{From: m.State(), To: m.State(), Detail: note}
	if restarted {
		m.relapse, m.coolLen = true, until.Sub(now)
	}
	switch {
	case st.From == Cooldown:
		m.deadline = until
		st.Note = "cooldown until " + until.Format(time.RFC3339)
		return st
	case restarted:
		st = m.fire(now, st, EvRestarted, note)
	case st.From == Grace:
		st = m.fire(now, st, EvSuppress, note)
	default:
		st.Note = "not in grace"
		return st
	}
	m.deadline = until
	return st
}

// Rebaseline tells the machine it slept (suspend/resume): suspect and grace
// go back to healthy with the count cleared; other states are unchanged.
func (m *Machine) Rebaseline(now time.Time) Step {
	st := Step{From: m.State(), To: m.State()}
	if st.From != Suspect && st.From != Grace {
		return st
	}
	return m.fire(now, st, EvRebaseline, "slept")
}

// fire runs ev through looplab's table and records the transition. The
// context is never cancelled, so it cannot wedge looplab.
func (m *Machine) fire(now time.Time, st Step, ev Event, note string) Step {
	tableMu.Lock()
	t := table()
	t.SetState(string(m.state))
	err := t.Event(context.Background(), string(ev), m)
	to := State(t.Current())
	tableMu.Unlock()
	var noTr fsm.NoTransitionError
	if err != nil && !errors.As(err, &noTr) {
		// Only a hole in the transition table can get here.
		st.Note = fmt.Sprintf("transition %s from %s refused: %v", ev, st.From, err)
		return st
	}
	m.state = to
	st.To = m.State()
	st.Event = ev
	st.Changed = st.To != st.From
	st.Note = note
	m.since = now
	switch st.To {
	case Healthy:
		m.count = 0
		m.deadline = time.Time{}
	case Suspect, Restarting:
		m.deadline = time.Time{}
	}
	m.record(Transition{At: now, From: st.From, To: st.To, Event: ev, Verdict: st.Verdict, Detail: st.Detail, Note: note})
	return st
}

func (m *Machine) record(tr Transition) { m.last, m.lastOK = tr, true }
