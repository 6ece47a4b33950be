package faults

import (
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// instanceScenarios are about PageKite instances flying several kites: what
// is restarted is the instance, once, whichever of its kites is down.
func instanceScenarios() []scenario {
	down := func(string, int, bool) probe.Verdict { return probe.KiteDown }
	return []scenario{
		{
			// Three kites of one process, down and back after one
			// restart of it: one restart, not three.
			name: "several kites on one process, one restart brings them back", wantRestarts: 1, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				return inFakeTime(t, func(t *testing.T) (int, int) {
					kites := []string{"a.kite.test", "b.kite.test", "c.kite.test"}
					p := newScriptProber(100*time.Millisecond, verdicts(downUntilRestarted(5)))
					fr := newFakeRestarter(func(string) {
						for _, k := range kites {
							p.markRestarted(k) // the restart brings every tunnel back
						}
					})
					r := startRig(t, instanceSettings(map[string][]string{"main": kites}), p, rigOptions{restarter: fr})
					r.restart = fr
					time.Sleep(2 * time.Hour)
					r.stop()
					for _, k := range kites {
						if len(r.steps.entered(k, fsm.Cooldown)) != 1 {
							t.Errorf("%s entered cooldown %d times, want once, with its instance", k, len(r.steps.entered(k, fsm.Cooldown)))
						}
					}
					return r.restarts(), r.uploads()
				})
			},
		},
		{
			// Down for good: the budget is the instance's (3 a day), not
			// 3 per kite.
			name: "several kites on one process, down for good (budget per instance)", wantRestarts: restartMax, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				return inFakeTime(t, func(t *testing.T) (int, int) {
					p := newScriptProber(100*time.Millisecond, verdicts(down))
					r := startRig(t, instanceSettings(map[string][]string{"main": {"a.kite.test", "b.kite.test", "c.kite.test"}}), p, rigOptions{})
					time.Sleep(23 * time.Hour)
					r.stop()
					return r.restarts(), r.uploads()
				})
			},
		},
		{
			// Two instances, one of them down for good: only that one is
			// restarted; the other's kite never leaves healthy.
			name: "two instances, one down", wantRestarts: restartMax, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				return inFakeTime(t, func(t *testing.T) (int, int) {
					p := newScriptProber(100*time.Millisecond, verdicts(func(k string, _ int, _ bool) probe.Verdict {
						if k == "x.kite.test" {
							return probe.Flying
						}
						return probe.KiteDown
					}))
					r := startRig(t, instanceSettings(map[string][]string{"main": {"a.kite.test", "b.kite.test"}, "other": {"x.kite.test"}}), p, rigOptions{})
					time.Sleep(23 * time.Hour)
					r.stop()
					if n := len(r.restart.times("x.kite.test")); n != 0 {
						t.Errorf("restarts for the other instance's kite = %d, want 0", n)
					}
					if got := r.steps.entered("x.kite.test", fsm.Cooldown); len(got) != 0 {
						t.Errorf("the other instance's kite entered cooldown %d times, want never", len(got))
					}
					return r.restarts(), r.uploads()
				})
			},
		},
		{
			// One instance's kites fly through two relays; one relay lost
			// its tunnel (a: kite-down until the restart), the other is
			// fine (b: flying). One restart; b cools down with a.
			name: "kites of one instance on two relays, one tunnel gone", wantRestarts: 1, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				return inFakeTime(t, func(t *testing.T) (int, int) {
					p := newScriptProber(100*time.Millisecond, verdicts(func(k string, n int, restarted bool) probe.Verdict {
						if k == "a.kite.test" && n >= 5 && !restarted {
							return probe.KiteDown
						}
						return probe.Flying
					}))
					r := startRig(t, instanceSettings(map[string][]string{"main": {"a.kite.test", "b.kite.test"}}), p, rigOptions{})
					time.Sleep(2 * time.Hour)
					r.stop()
					if got := r.restart.times("a.kite.test"); len(got) != 1 {
						t.Errorf("restarts for a.kite.test = %d, want 1", len(got))
					}
					if got := r.steps.entered("b.kite.test", fsm.Cooldown); len(got) != 1 {
						t.Errorf("b.kite.test entered cooldown %d times, want once, with its instance", len(got))
					}
					return r.restarts(), r.uploads()
				})
			},
		},
	}
}
