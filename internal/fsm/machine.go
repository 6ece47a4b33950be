package fsm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/looplab/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// historySize bounds Machine.History.
const historySize = 64

// Machine is the state machine of one kite. It is not safe for concurrent
// use.
type Machine struct {
	kite   string
	policy Policy
	fsm    *fsm.FSM

	since    time.Time
	count    int
	deadline time.Time // grace or cooldown deadline; zero otherwise
	// cooldown is the current cooldown; it doubles after a restart that
	// did not bring the kite back, up to policy.MaxCooldown.
	cooldown time.Duration
	// afterRestart: the current cooldown followed a restart (not a
	// suppressed one), so ending it not up doubles the next cooldown.
	afterRestart bool

	// fired counts the looplab callbacks run, by key; written only by
	// the callbacks, read by tests.
	fired map[string]int

	history []Transition // ring of at most historySize
	next    int          // next slot of history once it is full
}

// New returns the machine of kite, healthy since now.
func New(kite string, p Policy, now time.Time) *Machine {
	m := &Machine{
		kite:     kite,
		policy:   p,
		since:    now,
		cooldown: max(p.Cooldown, 0),
		fired:    make(map[string]int),
	}
	var evs fsm.Events
	for _, tr := range transitions() {
		src := make([]string, len(tr.src))
		for i, s := range tr.src {
			src[i] = string(s)
		}
		evs = append(evs, fsm.EventDesc{Name: string(tr.ev), Src: src, Dst: string(tr.dst)})
	}
	m.fsm = fsm.NewFSM(string(Healthy), evs, m.callbacks())
	return m
}

// callbacks builds the looplab callbacks from the typed names: one
// enter_<state> per state and one after_<event> per event. They only
// record.
func (m *Machine) callbacks() fsm.Callbacks {
	cbs := fsm.Callbacks{}
	for _, s := range AllStates() {
		key := "enter_" + string(s)
		cbs[key] = func(context.Context, *fsm.Event) { m.fired[key]++ }
	}
	for _, ev := range AllEvents() {
		key := "after_" + string(ev)
		cbs[key] = func(context.Context, *fsm.Event) { m.fired[key]++ }
	}
	return cbs
}

// Kite returns the kite's name.
func (m *Machine) Kite() string { return m.kite }

// State returns the current state.
func (m *Machine) State() State { return State(m.fsm.Current()) }

// Since returns when the current state was entered.
func (m *Machine) Since() time.Time { return m.since }

// Count returns the consecutive kite-down verdicts counted since the last
// up verdict (zero when healthy).
func (m *Machine) Count() int { return m.count }

// Deadline returns the end of grace or cooldown; zero in other states.
func (m *Machine) Deadline() time.Time { return m.deadline }

// CurrentCooldown returns the cooldown the next restart will be followed by
// (or, in cooldown after a restart, the running cooldown's length).
func (m *Machine) CurrentCooldown() time.Duration { return m.cooldown }

// History returns the last transitions (at most 64), oldest first.
func (m *Machine) History() []Transition {
	out := make([]Transition, 0, len(m.history))
	out = append(out, m.history[m.next:]...)
	return append(out, m.history[:m.next]...)
}

// SetPolicy replaces the policy (config reload). The state, count and
// running deadlines are kept; the current cooldown is clamped into
// [Cooldown, MaxCooldown] of the new policy.
func (m *Machine) SetPolicy(p Policy) {
	m.policy = p
	m.cooldown = min(max(m.cooldown, p.Cooldown, 0), p.maxCooldown())
}

// Observe feeds one probe verdict, taken at now. gate is consulted only at
// the moment grace would turn into restarting; a nil gate is always open.
// An invalid verdict changes nothing.
func (m *Machine) Observe(now time.Time, v probe.Verdict, detail string, gate func(time.Time) Gate) Step {
	st := Step{From: m.State(), To: m.State(), Verdict: v, Detail: detail}
	if !v.Valid() {
		st.Note = fmt.Sprintf("invalid verdict %q ignored", v)
		return st
	}
	// A kite healthy for a whole cooldown earns back the base cooldown.
	if st.From == Healthy && now.Sub(m.since) >= m.cooldown {
		m.cooldown = max(m.policy.Cooldown, 0)
	}
	switch st.From {
	case Healthy:
		if v.Down() {
			m.count = 1
			return m.countDown(now, st)
		}
	case Suspect:
		switch {
		case v.Up():
			return m.fire(now, st, EvUp, "")
		case v.Down():
			m.count++
			return m.countDown(now, st)
		}
	case Grace:
		switch {
		case v.Up():
			return m.fire(now, st, EvUp, "")
		case v.Down():
			m.count++
			if now.Before(m.deadline) {
				st.Note = "grace until " + m.deadline.Format(time.RFC3339)
				return st
			}
			return m.expire(now, st, gate)
		}
	case Restarting:
		st.Note = "restart in progress"
	case Cooldown:
		if now.Before(m.deadline) || !v.Conclusive() {
			st.Note = "cooldown until " + m.deadline.Format(time.RFC3339)
			return st
		}
		if v.Up() {
			return m.fire(now, st, EvUp, "")
		}
		if m.afterRestart {
			m.cooldown = min(2*m.cooldown, m.policy.maxCooldown())
		}
		m.count = 1
		return m.fire(now, st, EvRelapse, "")
	}
	return st
}

// countDown moves healthy or suspect on after a counted kite-down.
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

// expire decides, at or after the grace deadline on a kite-down, between
// holding, suppressing and restarting.
func (m *Machine) expire(now time.Time, st Step, gate func(time.Time) Gate) Step {
	var g Gate
	if gate != nil {
		g = gate(now)
	}
	if g.HoldUntil.After(now) {
		m.deadline = g.HoldUntil
		st.Note = fmt.Sprintf("restart held until %s: %s", g.HoldUntil.Format(time.RFC3339), g.HoldReason)
		st.Held = true
		return st
	}
	if g.BudgetFreeAt.After(now) {
		m.deadline = g.BudgetFreeAt
		m.afterRestart = false
		return m.fire(now, st, EvSuppress, fmt.Sprintf("restart budget exhausted until %s: %s",
			g.BudgetFreeAt.Format(time.RFC3339), g.BudgetReason))
	}
	st = m.fire(now, st, EvExpire, "")
	st.Restart = st.Changed
	return st
}

// Restarted tells the machine that the caller ran the restart actions, with
// the outcome given; it enters cooldown for the current cooldown. Outside
// restarting it changes nothing.
func (m *Machine) Restarted(now time.Time, outcome string) Step {
	st := Step{From: m.State(), To: m.State(), Detail: outcome}
	if st.From != Restarting {
		st.Note = "not restarting"
		return st
	}
	m.deadline = now.Add(m.cooldown)
	m.afterRestart = true
	return m.fire(now, st, EvRestarted, "cooldown "+m.cooldown.String())
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

// fire runs ev through looplab and records the transition. The context is
// never cancelled, so it cannot wedge looplab.
func (m *Machine) fire(now time.Time, st Step, ev Event, note string) Step {
	err := m.fsm.Event(context.Background(), string(ev))
	var noTr fsm.NoTransitionError
	if err != nil && !errors.As(err, &noTr) {
		// Only a hole in the transition table can get here.
		st.Note = fmt.Sprintf("transition %s from %s refused: %v", ev, st.From, err)
		return st
	}
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

func (m *Machine) record(tr Transition) {
	if len(m.history) < historySize {
		m.history = append(m.history, tr)
		return
	}
	m.history[m.next] = tr
	m.next = (m.next + 1) % historySize
}
