package watchdog

import (
	"slices"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

func TestRingKeepsTheLast(t *testing.T) {
	r := ring[int]{n: 5}
	if got := r.list(); got != nil {
		t.Errorf("list() of an empty ring = %v, want nil", got)
	}
	for i := range 3 {
		r.push(i)
	}
	if got := r.list(); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("list() after 3 = %v, want [0 1 2]", got)
	}
	for i := 3; i < 12; i++ {
		r.push(i)
	}
	if got := r.list(); !slices.Equal(got, []int{7, 8, 9, 10, 11}) {
		t.Errorf("list() after 12 = %v, want [7 8 9 10 11]", got)
	}
	if cap(r.buf) != 5 {
		t.Errorf("cap = %d, want 5: the ring grows to n, no further", cap(r.buf))
	}
}

func TestEvidenceBounded(t *testing.T) {
	e := newEvidence()
	m := fsm.New("k", fsm.Policy{FailureThreshold: 3, GracePeriod: time.Minute}, time.Unix(0, 0))
	now := time.Unix(0, 0)
	for range 100 {
		now = now.Add(time.Second)
		e.probed(probe.Result{Verdict: probe.KiteDown, Detail: "relay says Down-FE", Start: now})
		m.Observe(now, fsm.Down, "kite-down", "")
		e.changed(m)
		now = now.Add(time.Second)
		m.Observe(now, fsm.Up, "flying", "")
		e.changed(m)
	}
	ev := e.snapshot("k")
	probes, _ := ev.Probes.([]probe.Result)
	history, _ := ev.History.([]fsm.Transition)
	if len(probes) != keptProbes || len(history) != keptTransitions {
		t.Fatalf("kept %d probes and %d transitions, want %d and %d", len(probes), len(history), keptProbes, keptTransitions)
	}
	if last := history[len(history)-1]; !last.At.Equal(now) || last.To != fsm.Healthy {
		t.Errorf("last transition = %+v, want healthy at %v", last, now)
	}
	for i := 1; i < len(history); i++ {
		if !history[i].At.After(history[i-1].At) {
			t.Fatalf("history[%d].At = %v, not after %v", i, history[i].At, history[i-1].At)
		}
	}
}
