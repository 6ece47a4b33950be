package fsm

import (
	"strings"
	"testing"
	"time"
)

// TestRejectedNeverSitsInGrace (#31): a kite whose verdict is rejected
// (the relay refuses it: a restart cannot help) never sits in grace past
// its deadline, and never makes a restart due; it waits in suspect, held,
// and says why. When the refusal ends, a Down counts on and grace starts
// afresh; an Up makes it healthy. Each input comes 30 s after the last.
func TestRejectedNeverSitsInGrace(t *testing.T) {
	const (
		U = Up
		D = Down
		R = Rejected
		I = Inconclusive
	)
	rs := func(n int) []Evidence { // n rejected verdicts: n*30 s
		out := make([]Evidence, n)
		for i := range out {
			out[i] = R
		}
		return out
	}
	cat := func(parts ...[]Evidence) []Evidence {
		var out []Evidence
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name      string
		cooldown  bool // start in cooldown (restarted), its deadline 10 min ahead
		inputs    []Evidence
		want      State
		wantHeld  bool
		wantCount int
		// wantFresh: the machine is in grace with a deadline a whole grace
		// period after its last input's time.
		wantFresh bool
	}{
		// The issue: two kite-downs (threshold 2), then rejected for
		// minutes past the grace deadline (10 min).
		{name: "grace, then rejected past the deadline", inputs: cat([]Evidence{D, D}, rs(40)), want: Suspect, wantHeld: true, wantCount: 2},
		{name: "rejected past the deadline, inconclusive between", inputs: cat([]Evidence{D, D}, rs(10), []Evidence{I, I}, rs(30), []Evidence{I}), want: Suspect, wantHeld: true, wantCount: 2},
		{name: "suspect, then rejected", inputs: cat([]Evidence{D}, rs(40)), want: Suspect, wantHeld: true, wantCount: 1},
		{name: "rejected from the start", inputs: rs(40), want: Suspect, wantHeld: true},
		{name: "rejection ends with a down: grace afresh", inputs: cat([]Evidence{D, D}, rs(40), []Evidence{D}), want: Grace, wantCount: 3, wantFresh: true},
		{name: "rejection ends with a down before the threshold", inputs: cat(rs(40), []Evidence{D}), want: Suspect, wantCount: 1},
		{name: "rejection ends with an up", inputs: cat([]Evidence{D, D}, rs(40), []Evidence{U}), want: Healthy},
		{name: "rejected in cooldown, past its deadline", cooldown: true, inputs: rs(40), want: Suspect, wantHeld: true},
		{name: "rejected in cooldown, then a down", cooldown: true, inputs: cat(rs(40), []Evidence{D}), want: Suspect, wantCount: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Policy{FailureThreshold: 2, GracePeriod: 10 * time.Minute}
			m := New("k.example.com", p, t0)
			now := t0
			if tt.cooldown {
				m.Cool(now, now.Add(10*time.Minute), true, "restarted")
			}
			for i, e := range tt.inputs {
				now = now.Add(30 * time.Second)
				st := m.Observe(now, e, e.String(), "")
				if st.Due {
					t.Fatalf("input %d (%s): Observe() = %+v, want no restart due", i, e, st)
				}
				if m.State() == Grace && !now.Before(m.Deadline()) {
					t.Fatalf("input %d (%s): in grace with deadline %v at %v, want never past it", i, e, m.Deadline(), now)
				}
				if e == Rejected && !strings.Contains(st.Note, "held") {
					t.Errorf("input %d (%s): Step.Note = %q, want one saying held", i, e, st.Note)
				}
			}
			if m.State() != tt.want || (m.Held() != "") != tt.wantHeld || m.Count() != tt.wantCount {
				t.Errorf("after %v: State() = %s, Held() = %q, Count() = %d; want %s, held %v, count %d",
					tt.inputs, m.State(), m.Held(), m.Count(), tt.want, tt.wantHeld, tt.wantCount)
			}
			if tt.wantFresh && !m.Deadline().Equal(now.Add(p.GracePeriod)) {
				t.Errorf("Deadline() = %v, want a fresh grace to %v", m.Deadline(), now.Add(p.GracePeriod))
			}
			if m.State() == Suspect && !m.Deadline().IsZero() {
				t.Errorf("Deadline() in suspect = %v, want zero", m.Deadline())
			}
		})
	}
}
