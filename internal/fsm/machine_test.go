package fsm

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/probe"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testPolicy() Policy {
	return Policy{FailureThreshold: 3, GracePeriod: 10 * time.Minute, Cooldown: 30 * time.Minute, MaxCooldown: 2 * time.Hour}
}

var allVerdicts = []probe.Verdict{probe.Flying, probe.BackendDown, probe.KiteDown, probe.Stalled, probe.Unreachable, probe.Unrecognized}

func open(time.Time) Gate { return Gate{} }

// machineIn returns a machine driven into state s, and the time of its
// last input.
func machineIn(t *testing.T, s State) (*Machine, time.Time) {
	t.Helper()
	m := New("k.example.com", testPolicy(), t0)
	now := t0
	step := func(v probe.Verdict) {
		now = now.Add(time.Second)
		m.Observe(now, v, "", open)
	}
	switch s {
	case Healthy:
	case Suspect:
		step(probe.KiteDown)
	case Grace, Restarting, Cooldown:
		step(probe.KiteDown)
		step(probe.Stalled) // skipped, does not break the run
		step(probe.KiteDown)
		step(probe.KiteDown)
		if s == Grace {
			break
		}
		now = m.Deadline()
		if st := m.Observe(now, probe.KiteDown, "", open); !st.Restart {
			t.Fatalf("Observe(kite-down at grace deadline) = %+v, want Restart", st)
		}
		if s == Restarting {
			break
		}
		now = now.Add(time.Second)
		m.Restarted(now, "ok")
	}
	if m.State() != s {
		t.Fatalf("machineIn(%s): State() = %s, want %s", s, m.State(), s)
	}
	return m, now
}

// spec is the semantics, written out independently of the code,
// for a machine prepared by machineIn (suspect with count 1 of 3).
func spec(from State, v probe.Verdict, afterDeadline bool, gate string) State {
	switch from {
	case Healthy:
		if v.Down() {
			return Suspect
		}
	case Suspect:
		if v.Up() {
			return Healthy
		}
	case Grace:
		switch {
		case v.Up():
			return Healthy
		case v.Down() && afterDeadline:
			switch gate {
			case "hold":
				return Grace
			case "budget":
				return Cooldown
			}
			return Restarting
		}
	case Cooldown:
		if afterDeadline && v.Up() {
			return Healthy
		}
		if afterDeadline && v.Down() {
			return Suspect
		}
	}
	return from
}

func TestObserveTable(t *testing.T) {
	gates := map[string]func(now time.Time) Gate{
		"open": open,
		"hold": func(now time.Time) Gate {
			return Gate{HoldUntil: now.Add(5 * time.Minute), HoldReason: "pagekite younger than min age"}
		},
		"budget": func(now time.Time) Gate {
			return Gate{BudgetFreeAt: now.Add(3 * time.Hour), BudgetReason: "3 restarts in 24h"}
		},
		// Times not after now do not gate.
		"past": func(now time.Time) Gate { return Gate{HoldUntil: now, BudgetFreeAt: now.Add(-time.Hour)} },
	}
	for _, from := range AllStates() {
		for _, v := range allVerdicts {
			for _, after := range []bool{false, true} {
				for gname, gate := range gates {
					name := fmt.Sprintf("%s/%s/after=%v/%s", from, v, after, gname)
					t.Run(name, func(t *testing.T) {
						m, last := machineIn(t, from)
						now := last.Add(time.Second)
						if after {
							now = last.Add(24 * time.Hour)
							if !m.Deadline().IsZero() {
								now = m.Deadline()
							}
						}
						called := false
						st := m.Observe(now, v, "d", func(n time.Time) Gate { called = true; return gate(n) })
						wantGate := gname
						if gname == "past" {
							wantGate = "open"
						}
						want := spec(from, v, after, wantGate)
						if st.To != want || m.State() != want {
							t.Fatalf("Observe(%s) from %s = %s (State %s), want %s", v, from, st.To, m.State(), want)
						}
						if st.Changed != (want != from) {
							t.Errorf("Step.Changed = %v, want %v", st.Changed, want != from)
						}
						if wantRestart := want == Restarting && from != Restarting; st.Restart != wantRestart {
							t.Errorf("Step.Restart = %v, want %v", st.Restart, wantRestart)
						}
						if wantCalled := from == Grace && after && v.Down(); called != wantCalled {
							t.Errorf("gate called = %v, want %v", called, wantCalled)
						}
						wantHeld := from == Grace && want == Grace && gname == "hold" && after && v.Down()
						if st.Held != wantHeld {
							t.Errorf("Step.Held = %v, want %v", st.Held, wantHeld)
						}
						if (want == Grace || want == Cooldown) == m.Deadline().IsZero() {
							t.Errorf("Deadline() = %v in %s, want zero only outside grace and cooldown", m.Deadline(), want)
						}
						switch {
						case from == Grace && want == Grace && gname == "hold" && after && v.Down():
							if got := m.Deadline(); !got.Equal(now.Add(5 * time.Minute)) {
								t.Errorf("Deadline() after hold = %v, want %v", got, now.Add(5*time.Minute))
							}
							if !strings.Contains(st.Note, "min age") {
								t.Errorf("Step.Note = %q, want the hold reason", st.Note)
							}
						case from == Grace && want == Cooldown:
							if got := m.Deadline(); !got.Equal(now.Add(3 * time.Hour)) {
								t.Errorf("Deadline() after suppress = %v, want %v", got, now.Add(3*time.Hour))
							}
							if !strings.Contains(st.Note, "budget exhausted") {
								t.Errorf("Step.Note = %q, want budget exhausted", st.Note)
							}
						case want == Healthy && m.Count() != 0:
							t.Errorf("Count() in healthy = %d, want 0", m.Count())
						case from == Cooldown && want == Suspect && m.Count() != 1:
							t.Errorf("Count() after relapse = %d, want 1", m.Count())
						}
					})
				}
			}
		}
	}
}

func TestRestartedAndRebaseline(t *testing.T) {
	tests := []struct {
		from          State
		wantRestarted State
		wantRebase    State
	}{
		{Healthy, Healthy, Healthy},
		{Suspect, Suspect, Healthy},
		{Grace, Grace, Healthy},
		{Restarting, Cooldown, Restarting},
		{Cooldown, Cooldown, Cooldown},
	}
	for _, tc := range tests {
		t.Run(string(tc.from), func(t *testing.T) {
			m, last := machineIn(t, tc.from)
			now := last.Add(time.Minute)
			st := m.Restarted(now, "killed")
			if st.To != tc.wantRestarted || m.State() != tc.wantRestarted {
				t.Errorf("Restarted() from %s = %s, want %s", tc.from, st.To, tc.wantRestarted)
			}
			if tc.from == Restarting && !m.Deadline().Equal(now.Add(30*time.Minute)) {
				t.Errorf("Deadline() after Restarted = %v, want %v", m.Deadline(), now.Add(30*time.Minute))
			}
			m, last = machineIn(t, tc.from)
			st = m.Rebaseline(last.Add(time.Hour))
			if st.To != tc.wantRebase || m.State() != tc.wantRebase {
				t.Errorf("Rebaseline() from %s = %s, want %s", tc.from, st.To, tc.wantRebase)
			}
			if tc.wantRebase == Healthy && m.Count() != 0 {
				t.Errorf("Count() after Rebaseline = %d, want 0", m.Count())
			}
		})
	}
}

// TestCallbackKeysFire: every key of the looplab callbacks map runs at least
// once over a cycle that takes every event. A misspelt key would never run.
func TestCallbackKeysFire(t *testing.T) {
	m, now := machineIn(t, Cooldown) // suspect, threshold, expire, restarted
	now = m.Deadline()
	m.Observe(now, probe.Flying, "", open) // up
	now = now.Add(time.Second)
	m.Observe(now, probe.KiteDown, "", open)
	m.Rebaseline(now) // rebaseline
	for range 3 {
		now = now.Add(time.Second)
		m.Observe(now, probe.KiteDown, "", open)
	}
	now = m.Deadline()
	m.Observe(now, probe.KiteDown, "", func(n time.Time) Gate { return Gate{BudgetFreeAt: n.Add(time.Hour)} }) // suppress
	now = m.Deadline()
	m.Observe(now, probe.KiteDown, "", open) // relapse
	keys := m.callbacks()
	if len(keys) != len(AllStates())+len(AllEvents()) {
		t.Errorf("len(callbacks()) = %d, want %d", len(keys), len(AllStates())+len(AllEvents()))
	}
	for key := range keys {
		if m.fired[key] == 0 {
			t.Errorf("callback %q fired 0 times, want at least 1", key)
		}
	}
}

func TestFailureThresholdOne(t *testing.T) {
	p := testPolicy()
	p.FailureThreshold = 1
	m := New("k", p, t0)
	st := m.Observe(t0, probe.KiteDown, "", open)
	if st.To != Grace || st.Event != EvThreshold {
		t.Fatalf("Observe(kite-down) with threshold 1 = %s via %s, want grace via threshold", st.To, st.Event)
	}
	if !m.Deadline().Equal(t0.Add(p.GracePeriod)) {
		t.Errorf("Deadline() = %v, want %v", m.Deadline(), t0.Add(p.GracePeriod))
	}
}

func TestGraceStaysOnInconclusiveThenDecides(t *testing.T) {
	m, _ := machineIn(t, Grace)
	now := m.Deadline()
	for i := range 5 {
		now = now.Add(time.Hour)
		if st := m.Observe(now, allVerdicts[3+i%3], "", open); st.Changed || st.Restart {
			t.Fatalf("Observe(inconclusive after deadline) = %+v, want no change", st)
		}
	}
	if st := m.Observe(now, probe.KiteDown, "", open); !st.Restart {
		t.Errorf("Observe(kite-down after inconclusives) = %+v, want Restart", st)
	}
}

// TestCooldownDoublingAndReset: every restart that does not bring the kite
// back doubles the next cooldown, up to MaxCooldown; a kite healthy for a
// whole cooldown earns back the base cooldown.
func TestCooldownDoublingAndReset(t *testing.T) {
	m, now := machineIn(t, Cooldown)
	wants := []time.Duration{time.Hour, 2 * time.Hour, 2 * time.Hour}
	for i, want := range wants {
		now = m.Deadline()
		if st := m.Observe(now, probe.KiteDown, "", open); st.To != Suspect {
			t.Fatalf("round %d: Observe(kite-down at cooldown end) = %s, want suspect", i, st.To)
		}
		if got := m.CurrentCooldown(); got != want {
			t.Errorf("round %d: CurrentCooldown() = %v, want %v", i, got, want)
		}
		for range 2 {
			now = now.Add(time.Second)
			m.Observe(now, probe.KiteDown, "", open)
		}
		now = m.Deadline()
		if st := m.Observe(now, probe.KiteDown, "", open); !st.Restart {
			t.Fatalf("round %d: Observe = %+v, want Restart", i, st)
		}
		m.Restarted(now, "ok")
		if got, want := m.Deadline(), now.Add(want); !got.Equal(want) {
			t.Errorf("round %d: cooldown Deadline() = %v, want %v", i, got, want)
		}
	}
	// Up at the end: healthy; not yet a whole cooldown later, still 2h.
	now = m.Deadline()
	m.Observe(now, probe.Flying, "", open)
	m.Observe(now.Add(2*time.Hour-time.Second), probe.Flying, "", open)
	if got := m.CurrentCooldown(); got != 2*time.Hour {
		t.Errorf("CurrentCooldown() healthy < 2h = %v, want 2h", got)
	}
	m.Observe(now.Add(2*time.Hour), probe.Flying, "", open)
	if got := m.CurrentCooldown(); got != 30*time.Minute {
		t.Errorf("CurrentCooldown() healthy 2h = %v, want 30m", got)
	}
}

// TestBudgetSuppression: with the budget exhausted the machine never asks
// for a restart, and a suppressed cooldown does not double the next one.
func TestBudgetSuppression(t *testing.T) {
	m, now := machineIn(t, Grace)
	budget := func(n time.Time) Gate { return Gate{BudgetFreeAt: n.Add(time.Hour), BudgetReason: "spent"} }
	for i := range 20 {
		now = now.Add(11 * time.Minute)
		st := m.Observe(now, probe.KiteDown, "", budget)
		if st.Restart {
			t.Fatalf("step %d: Observe with budget exhausted = %+v, want no Restart", i, st)
		}
	}
	if got := m.CurrentCooldown(); got != 30*time.Minute {
		t.Errorf("CurrentCooldown() after suppressed cooldowns = %v, want 30m", got)
	}
	var suppressed int
	for _, tr := range m.History() {
		if tr.Event == EvSuppress {
			suppressed++
		}
	}
	if suppressed == 0 {
		t.Errorf("History() has no %s transition, want some", EvSuppress)
	}
}

// TestPropertyNoKiteDownNoRestart: random sequences without kite-down, at
// random times, with any gate, never leave healthy nor restart.
func TestPropertyNoKiteDownNoRestart(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for seq := range 200 {
		m := New("k", testPolicy(), t0)
		now := t0
		for i := range 100 {
			now = now.Add(time.Duration(r.Int63n(int64(2 * time.Hour))))
			v := allVerdicts[r.Intn(len(allVerdicts))]
			if v.Down() {
				v = probe.Flying
			}
			if st := m.Observe(now, v, "", open); st.Restart || st.To != Healthy {
				t.Fatalf("seq %d step %d: Observe(%s) = %+v, want healthy, no Restart", seq, i, v, st)
			}
		}
	}
}

// TestPropertyInconclusiveAfterGraceNoRestart: once in grace, only
// inconclusive verdicts, for however long, never restart.
func TestPropertyInconclusiveAfterGraceNoRestart(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for seq := range 100 {
		m, now := machineIn(t, Grace)
		for i := range 100 {
			now = now.Add(time.Duration(r.Int63n(int64(24 * time.Hour))))
			v := allVerdicts[3+r.Intn(3)]
			if st := m.Observe(now, v, "", open); st.Restart || st.To != Grace {
				t.Fatalf("seq %d step %d: Observe(%s) = %+v, want grace, no Restart", seq, i, v, st)
			}
		}
	}
}

// TestPropertyRestartNeedsRun: over random sequences, Restart happens only
// on a kite-down at or after the grace deadline, after FailureThreshold
// kite-downs with no up verdict between, and never twice without Restarted.
func TestPropertyRestartNeedsRun(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	p := testPolicy()
	for seq := range 200 {
		m := New("k", p, t0)
		now := t0
		run := 0
		for i := range 200 {
			now = now.Add(time.Duration(r.Int63n(int64(5 * time.Minute))))
			v := allVerdicts[r.Intn(len(allVerdicts))]
			prev := m.State()
			deadline := m.Deadline()
			st := m.Observe(now, v, "", open)
			if v.Up() {
				run = 0
			}
			if v.Down() {
				run++
			}
			if st.Restart {
				if prev != Grace || !v.Down() || now.Before(deadline) || run < p.FailureThreshold {
					t.Fatalf("seq %d step %d: Restart from %s on %s at %v (deadline %v, run %d)", seq, i, prev, v, now, deadline, run)
				}
				if r.Intn(2) == 0 {
					m.Restarted(now, "ok")
				}
			}
			if prev == Restarting && st.Changed {
				t.Fatalf("seq %d step %d: Observe left restarting without Restarted: %+v", seq, i, st)
			}
			if st.To == Cooldown || st.To == Suspect && prev == Cooldown {
				run = 1
			}
		}
	}
}

func TestHistoryBounded(t *testing.T) {
	m := New("k", testPolicy(), t0)
	now := t0
	for range 100 {
		now = now.Add(time.Second)
		m.Observe(now, probe.KiteDown, "", open)
		now = now.Add(time.Second)
		m.Observe(now, probe.Flying, "", open)
	}
	h := m.History()
	if len(h) != historySize {
		t.Fatalf("len(History()) = %d, want %d", len(h), historySize)
	}
	if !h[len(h)-1].At.Equal(now) || h[len(h)-1].To != Healthy {
		t.Errorf("last History() = %+v, want healthy at %v", h[len(h)-1], now)
	}
	for i := 1; i < len(h); i++ {
		if !h[i].At.After(h[i-1].At) {
			t.Fatalf("History()[%d].At = %v, not after %v", i, h[i].At, h[i-1].At)
		}
	}
}

func TestSetPolicyKeepsState(t *testing.T) {
	m, _ := machineIn(t, Grace)
	dl := m.Deadline()
	m.SetPolicy(Policy{FailureThreshold: 5, GracePeriod: time.Hour, Cooldown: time.Minute, MaxCooldown: time.Minute})
	if m.State() != Grace || !m.Deadline().Equal(dl) || m.Count() != 3 {
		t.Errorf("after SetPolicy: State, Deadline, Count = %s, %v, %d, want grace, %v, 3", m.State(), m.Deadline(), m.Count(), dl)
	}
	if got := m.CurrentCooldown(); got != time.Minute {
		t.Errorf("CurrentCooldown() after SetPolicy = %v, want 1m", got)
	}
}
