package fsm

import (
	"context"
	"fmt"
	"slices"
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

	// held: Rejected evidence came after the last conclusive evidence
	// (HeldRejected), "" otherwise.
	held string

	// last is the last transition; ok once there is one.
	last   Transition
	lastOK bool
}

// New returns the machine of kite, healthy since now.
func New(kite string, p Policy, now time.Time) *Machine {
	return &Machine{kite: kite, policy: p, state: Healthy, since: now}
}

// table is the transition table as immutable data: the destination of
// each event from each state, or "" where the event is refused. It is
// read without a lock by every Machine.
var table = compile(transitions())

// compile turns the transitions into the table by asking one looplab
// machine, once, where each event goes from each state: looplab is the
// table's only interpreter, and no transition pays for it afterwards.
// (A looplab machine per kite cost 3.3 KB of maps and closures each: 16.5
// MB at 5000 kites; one shared machine cost a lock per transition.)
func compile(trs []transition) [len(allEvents)][len(allStates)]State {
	var evs fsm.Events
	for _, tr := range trs {
		src := make([]string, len(tr.src))
		for i, s := range tr.src {
			src[i] = string(s)
		}
		evs = append(evs, fsm.EventDesc{Name: string(tr.ev), Src: src, Dst: string(tr.dst)})
	}
	f := fsm.NewFSM(string(Healthy), evs, nil)
	var t [len(allEvents)][len(allStates)]State
	for e, ev := range allEvents {
		for s, st := range allStates {
			f.SetState(string(st))
			if err := f.Event(context.Background(), string(ev)); err == nil {
				t[e][s] = State(f.Current())
			}
		}
	}
	return t
}

// next is where ev goes from st; ok false where the table refuses it.
func next(st State, ev Event) (State, bool) {
	e, s := slices.Index(allEvents[:], ev), slices.Index(allStates[:], st)
	if e < 0 || s < 0 || table[e][s] == "" {
		return st, false
	}
	return table[e][s], true
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

// HeldRejected is what Held returns while the relay refuses the kite.
// No restart can be due while the relay refuses the kite: a restart cannot
// fix that.
const HeldRejected = "rejected by the relay"

// Held says why the machine is held (HeldRejected), or "" when it is not:
// Rejected evidence came after the last Up or Down. A held machine is in
// suspect (or restarting, or in cooldown before its deadline) and never
// makes a restart decision due; the next Down counts on from the count it
// had, the next Up makes it healthy.
func (m *Machine) Held() string { return m.held }

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
	if ev == Up || ev == Down {
		m.held = ""
	}
	switch st.From {
	case Healthy:
		switch ev {
		case Down:
			m.count = 1
			return m.countDown(now, st)
		case Rejected:
			return m.reject(now, st)
		}
	case Suspect:
		switch ev {
		case Up:
			return m.fire(now, st, EvUp, "")
		case Down:
			m.count++
			return m.countDown(now, st)
		case Rejected:
			return m.reject(now, st)
		}
	case Grace:
		switch ev {
		case Rejected:
			return m.reject(now, st)
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
		if ev == Rejected {
			m.held = HeldRejected
			st.Note += "; held: " + HeldRejected
		}
	case Cooldown:
		if now.Before(m.deadline) || (ev != Up && ev != Down && ev != Rejected) {
			st.Note = "cooldown until " + m.deadline.Format(time.RFC3339)
			if ev == Rejected {
				m.held = HeldRejected
				st.Note += "; held: " + HeldRejected
			}
			return st
		}
		switch ev {
		case Up:
			return m.fire(now, st, EvUp, "")
		case Rejected:
			m.count = 0 // the restart spent the Downs before it
			return m.reject(now, st)
		}
		m.count = 1
		return m.fire(now, st, EvRelapse, "")
	}
	return st
}

// reject holds the machine on Rejected evidence: healthy, grace and an
// expired cooldown go to suspect (a grace deadline would pass with no
// restart due, and a rejected kite is not healthy); suspect stays. The
// count is kept: once the refusal ends, a Down counts on from it, and
// grace, if it comes back, starts afresh.
func (m *Machine) reject(now time.Time, st Step) Step {
	m.held = HeldRejected
	note := "held: " + HeldRejected
	if st.From == Suspect {
		st.Note = note
		return st
	}
	st = m.fire(now, st, EvReject, note)
	m.held = HeldRejected // fire clears it on the way
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

// fire takes ev through the table and records the transition.
func (m *Machine) fire(now time.Time, st Step, ev Event, note string) Step {
	to, ok := next(m.state, ev)
	if !ok {
		// Only a hole in the transition table can get here.
		st.Note = fmt.Sprintf("transition %s from %s refused", ev, st.From)
		return st
	}
	m.state = to
	st.To = m.State()
	st.Event = ev
	st.Changed = st.To != st.From
	st.Note = note
	m.since = now
	m.held = "" // reject sets it again after a transition it makes
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
