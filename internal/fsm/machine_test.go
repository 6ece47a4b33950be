package fsm

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const testCooldown = 30 * time.Minute

func testPolicy() Policy {
	return Policy{FailureThreshold: 3, GracePeriod: 10 * time.Minute}
}

var allEvidence = []Evidence{Up, Down, Inconclusive, Rejected}

// machineIn returns a machine driven into state s, and the time of its
// last input.
func machineIn(t *testing.T, s State) (*Machine, time.Time) {
	t.Helper()
	m := New("k.example.com", testPolicy(), t0)
	now := t0
	step := func(e Evidence) {
		now = now.Add(time.Second)
		m.Observe(now, e, e.String(), "")
	}
	switch s {
	case Healthy:
	case Suspect:
		step(Down)
	case Grace, Restarting, Cooldown:
		step(Down)
		step(Inconclusive) // skipped, does not break the run
		step(Down)
		step(Down)
		if s == Grace {
			break
		}
		now = m.Deadline()
		if st := m.Observe(now, Down, "kite-down", ""); !st.Due {
			t.Fatalf("Observe(Down at grace deadline) = %+v, want Due", st)
		}
		m.Begin(now, "")
		if s == Restarting {
			break
		}
		now = now.Add(time.Second)
		m.Cool(now, now.Add(testCooldown), true, "restarted")
	}
	if m.State() != s {
		t.Fatalf("machineIn(%s): State() = %s, want %s", s, m.State(), s)
	}
	return m, now
}

// spec is the machine's semantics for Observe, written out independently
// of the code, for a machine prepared by machineIn.
// Rejected evidence holds: healthy, grace and an expired cooldown go to
// suspect, never to a restart.
func spec(from State, e Evidence, afterDeadline bool) (to State, due bool) {
	switch from {
	case Healthy:
		if e == Down || e == Rejected {
			return Suspect, false
		}
	case Suspect:
		if e == Up {
			return Healthy, false
		}
	case Grace:
		switch {
		case e == Up:
			return Healthy, false
		case e == Rejected:
			return Suspect, false
		case e == Down && afterDeadline:
			return Grace, true
		}
	case Cooldown:
		if afterDeadline && e == Up {
			return Healthy, false
		}
		if afterDeadline && (e == Down || e == Rejected) {
			return Suspect, false
		}
	}
	return from, false
}

func TestObserveTable(t *testing.T) {
	for _, from := range AllStates() {
		for _, e := range append(allEvidence, Evidence(42)) {
			for _, after := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/after=%v", from, e, after), func(t *testing.T) {
					m, last := machineIn(t, from)
					now := last.Add(time.Second)
					if after {
						now = last.Add(24 * time.Hour)
						if !m.Deadline().IsZero() {
							now = m.Deadline()
						}
					}
					st := m.Observe(now, e, "v", "d")
					want, wantDue := spec(from, e, after)
					if st.To != want || m.State() != want {
						t.Fatalf("Observe(%s) from %s = %s (State %s), want %s", e, from, st.To, m.State(), want)
					}
					if st.Changed != (want != from) {
						t.Errorf("Step.Changed = %v, want %v", st.Changed, want != from)
					}
					if st.Due != wantDue {
						t.Errorf("Step.Due = %v, want %v", st.Due, wantDue)
					}
					if (want == Grace || want == Cooldown) == m.Deadline().IsZero() {
						t.Errorf("Deadline() = %v in %s, want zero only outside grace and cooldown", m.Deadline(), want)
					}
					switch {
					case want == Healthy && m.Count() != 0:
						t.Errorf("Count() in healthy = %d, want 0", m.Count())
					case from == Cooldown && e == Down && want == Suspect && m.Count() != 1:
						t.Errorf("Count() after relapse = %d, want 1", m.Count())
					}
					if held := m.Held() != ""; held != (e == Rejected) {
						t.Errorf("Held() = %q after %s, want held only after rejected", m.Held(), e)
					}
				})
			}
		}
	}
}

// TestDecisions: what Hold, Begin and Cool do from every state.
func TestDecisions(t *testing.T) {
	type answer struct {
		name string
		do   func(m *Machine, now time.Time) Step
		// want maps a state to the state after the answer.
		want map[State]State
	}
	answers := []answer{
		{"hold", func(m *Machine, now time.Time) Step { return m.Hold(now, now.Add(5*time.Minute), "young process") },
			map[State]State{Healthy: Healthy, Suspect: Suspect, Grace: Grace, Restarting: Restarting, Cooldown: Cooldown}},
		{"begin", func(m *Machine, now time.Time) Step { return m.Begin(now, "") },
			map[State]State{Healthy: Healthy, Suspect: Suspect, Grace: Restarting, Restarting: Restarting, Cooldown: Cooldown}},
		{"suppress", func(m *Machine, now time.Time) Step {
			return m.Cool(now, now.Add(3*time.Hour), false, "budget exhausted")
		},
			map[State]State{Healthy: Healthy, Suspect: Suspect, Grace: Cooldown, Restarting: Restarting, Cooldown: Cooldown}},
		{"restarted", func(m *Machine, now time.Time) Step { return m.Cool(now, now.Add(3*time.Hour), true, "restarted") },
			map[State]State{Healthy: Cooldown, Suspect: Cooldown, Grace: Cooldown, Restarting: Cooldown, Cooldown: Cooldown}},
	}
	for _, a := range answers {
		for _, from := range AllStates() {
			t.Run(a.name+"/"+string(from), func(t *testing.T) {
				m, last := machineIn(t, from)
				now := last.Add(time.Minute)
				st := a.do(m, now)
				want := a.want[from]
				if st.To != want || m.State() != want {
					t.Fatalf("%s from %s = %s (State %s), want %s", a.name, from, st.To, m.State(), want)
				}
				switch {
				case a.name == "hold" && from == Grace:
					if !st.Held || !m.Deadline().Equal(now.Add(5*time.Minute)) || !strings.Contains(st.Note, "young process") {
						t.Errorf("Hold in grace = %+v, deadline %v, want Held until %v with the reason", st, m.Deadline(), now.Add(5*time.Minute))
					}
				case a.name == "hold" && st.Held:
					t.Errorf("Hold from %s = Held, want not held outside grace", from)
				case want == Cooldown && (a.name == "restarted" || a.name == "suppress"):
					if !m.Deadline().Equal(now.Add(3 * time.Hour)) {
						t.Errorf("Deadline() after %s = %v, want %v", a.name, m.Deadline(), now.Add(3*time.Hour))
					}
				}
				if a.name == "restarted" && !m.Relapse() {
					t.Errorf("Relapse() after a restart = false, want true")
				}
			})
		}
	}
}

// TestTable: looplab's reading of the transitions is the table itself,
// and nothing else is allowed: every row's sources go to its destination,
// every other (state, event) is refused.
func TestTable(t *testing.T) {
	want := map[[2]string]State{}
	for _, tr := range transitions() {
		for _, src := range tr.src {
			want[[2]string{string(src), string(tr.ev)}] = tr.dst
		}
	}
	for _, st := range AllStates() {
		for _, ev := range AllEvents() {
			to, ok := next(st, ev)
			w, allowed := want[[2]string{string(st), string(ev)}]
			if ok != allowed || (ok && to != w) {
				t.Errorf("next(%s, %s) = %s, %v; want %s, %v", st, ev, to, ok, w, allowed)
			}
		}
	}
	if _, ok := next(State("nowhere"), EvUp); ok {
		t.Error("next(an unknown state) allowed")
	}
}

func TestFailureThresholdOne(t *testing.T) {
	p := testPolicy()
	p.FailureThreshold = 1
	m := New("k", p, t0)
	st := m.Observe(t0, Down, "", "")
	if st.To != Grace || st.Event != EvThreshold {
		t.Fatalf("Observe(Down) with threshold 1 = %s via %s, want grace via threshold", st.To, st.Event)
	}
	if !m.Deadline().Equal(t0.Add(p.GracePeriod)) {
		t.Errorf("Deadline() = %v, want %v", m.Deadline(), t0.Add(p.GracePeriod))
	}
}

func TestGraceStaysOnInconclusiveThenDue(t *testing.T) {
	m, _ := machineIn(t, Grace)
	now := m.Deadline()
	for range 5 {
		now = now.Add(time.Hour)
		if st := m.Observe(now, Inconclusive, "stalled", ""); st.Changed || st.Due {
			t.Fatalf("Observe(inconclusive after deadline) = %+v, want no change", st)
		}
	}
	if st := m.Observe(now, Down, "kite-down", ""); !st.Due {
		t.Errorf("Observe(Down after inconclusives) = %+v, want Due", st)
	}
	// Unanswered, the decision stays due.
	if st := m.Observe(now.Add(time.Minute), Down, "kite-down", ""); !st.Due || m.State() != Grace {
		t.Errorf("Observe(Down again) = %+v in %s, want Due in grace", st, m.State())
	}
}

// TestRelapse: a kite healthy for the whole cooldown since its instance's
// restart clears Relapse; one that goes down sooner keeps it.
func TestRelapse(t *testing.T) {
	m, now := machineIn(t, Cooldown)
	now = m.Deadline()
	m.Observe(now, Up, "flying", "")
	m.Observe(now.Add(testCooldown-time.Second), Up, "flying", "")
	if !m.Relapse() {
		t.Errorf("Relapse() healthy less than a cooldown = false, want true")
	}
	m.Observe(now.Add(testCooldown), Up, "flying", "")
	if m.Relapse() {
		t.Errorf("Relapse() healthy a whole cooldown = true, want false")
	}
	// Straight down at the end of cooldown: still a relapse.
	m, now = machineIn(t, Cooldown)
	m.Observe(m.Deadline(), Down, "kite-down", "")
	if m.State() != Suspect || !m.Relapse() {
		t.Errorf("Down at cooldown end: %s, Relapse %v, want suspect, true", m.State(), m.Relapse())
	}
}

// TestPropertyNoDownNoDue: random sequences without Down, at random times,
// never leave healthy nor make a decision due.
func TestPropertyNoDownNoDue(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for seq := range 200 {
		m := New("k", testPolicy(), t0)
		now := t0
		for i := range 100 {
			now = now.Add(time.Duration(r.Int63n(int64(2 * time.Hour))))
			e := []Evidence{Up, Inconclusive}[r.Intn(2)]
			if st := m.Observe(now, e, "", ""); st.Due || st.To != Healthy {
				t.Fatalf("seq %d step %d: Observe(%s) = %+v, want healthy, not due", seq, i, e, st)
			}
		}
	}
}

// TestPropertyInconclusiveAfterGraceNotDue: once in grace, only
// inconclusive evidence, for however long, never makes a decision due.
func TestPropertyInconclusiveAfterGraceNotDue(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for seq := range 100 {
		m, now := machineIn(t, Grace)
		for i := range 100 {
			now = now.Add(time.Duration(r.Int63n(int64(24 * time.Hour))))
			if st := m.Observe(now, Inconclusive, "", ""); st.Due || st.To != Grace {
				t.Fatalf("seq %d step %d: Observe(inconclusive) = %+v, want grace, not due", seq, i, st)
			}
		}
	}
}

// TestPropertyDueNeedsRun: over random sequences and random answers, a
// decision is due only on a Down at or after the grace deadline, after
// FailureThreshold Downs with no Up between; restarting is left only by
// Cool.
func TestPropertyDueNeedsRun(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	p := testPolicy()
	for seq := range 200 {
		m := New("k", p, t0)
		now := t0
		run := 0
		for i := range 200 {
			now = now.Add(time.Duration(r.Int63n(int64(5 * time.Minute))))
			e := allEvidence[r.Intn(len(allEvidence))]
			prev := m.State()
			deadline := m.Deadline()
			st := m.Observe(now, e, "", "")
			switch e {
			case Up:
				run = 0
			case Down:
				run++
			}
			if st.Due {
				if prev != Grace || e != Down || now.Before(deadline) || run < p.FailureThreshold {
					t.Fatalf("seq %d step %d: Due from %s on %s at %v (deadline %v, run %d)", seq, i, prev, e, now, deadline, run)
				}
				switch r.Intn(4) {
				case 0:
					m.Hold(now, now.Add(time.Minute), "young")
				case 1:
					m.Begin(now, "")
				case 2:
					m.Cool(now, now.Add(time.Hour), false, "budget")
				}
			}
			if m.State() == Restarting && r.Intn(3) == 0 {
				m.Cool(now, now.Add(time.Hour), true, "restarted")
			}
			if prev == Restarting && st.Changed {
				t.Fatalf("seq %d step %d: Observe left restarting: %+v", seq, i, st)
			}
			if st.To == Cooldown || st.To == Suspect && prev == Cooldown || m.State() == Cooldown {
				run = 1
			}
		}
	}
}

func TestLastTransition(t *testing.T) {
	m := New("k", testPolicy(), t0)
	if _, ok := m.Last(); ok {
		t.Errorf("Last() of a new machine: ok, want none")
	}
	now := t0.Add(time.Second)
	m.Observe(now, Down, "kite-down", "Down-FE")
	now = now.Add(time.Second)
	m.Observe(now, Up, "flying", "")
	tr, ok := m.Last()
	if !ok || !tr.At.Equal(now) || tr.From != Suspect || tr.To != Healthy || tr.Verdict != "flying" || tr.Event != EvUp {
		t.Errorf("Last() = %+v, %v; want suspect → healthy on flying (up) at %v", tr, ok, now)
	}
}

func TestSetPolicyKeepsState(t *testing.T) {
	m, _ := machineIn(t, Grace)
	dl := m.Deadline()
	m.SetPolicy(Policy{FailureThreshold: 5, GracePeriod: time.Hour})
	if m.State() != Grace || !m.Deadline().Equal(dl) || m.Count() != 3 {
		t.Errorf("after SetPolicy: State, Deadline, Count = %s, %v, %d, want grace, %v, 3", m.State(), m.Deadline(), m.Count(), dl)
	}
}

// TestPure: the machine imports nothing of the project.
func TestPure(t *testing.T) {
	// A compile-time fact, asserted so that a new import is a visible
	// decision.
	for _, imp := range imports(t) {
		if strings.HasPrefix(imp, "github.com/pagekite/") {
			t.Errorf("internal/fsm imports %s, want nothing of the project", imp)
		}
	}
}
