package faults

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/ratelimit"
)

const kite = "a.kite.test"

// inFakeTime runs f in a synctest bubble and returns what it returned. The
// bubble runs in a subtest of its own: a failure in it then still leaves
// the counts for the table.
func inFakeTime(t *testing.T, f func(t *testing.T) (int, int)) (restarts, uploads int) {
	t.Helper()
	restarts, uploads = -1, -1
	t.Run("fake-time", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			restarts, uploads = f(t)
		})
	})
	return restarts, uploads
}

// waitProbes sleeps in fake time until kite has been probed n times
// (bounded: at most `within`).
func waitProbes(t *testing.T, p *scriptProber, name string, n int, within time.Duration) {
	t.Helper()
	for end := time.Now().Add(within); p.count(name) < n; {
		if time.Now().After(end) {
			t.Fatalf("%s probed %d times in %v, want %d", name, p.count(name), within, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// downUntilRestarted: flying for `healthy` probes, then kite-down until the
// kite is restarted, flying after.
func downUntilRestarted(healthy int) func(string, int, bool) probe.Verdict {
	return func(_ string, n int, restarted bool) probe.Verdict {
		if n >= healthy && !restarted {
			return probe.KiteDown
		}
		return probe.Flying
	}
}

func loopScenarios() []scenario {
	return []scenario{
		{
			name: "kite down, restart brings it back", wantRestarts: 1, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				return inFakeTime(t, func(t *testing.T) (int, int) {
					p := newScriptProber(100*time.Millisecond, verdicts(downUntilRestarted(5)))
					r := startRig(t, fakeSettings(kite), p, rigOptions{})
					time.Sleep(2 * time.Hour)
					r.stop()
					checkRestartBound(t, r, 5)
					return r.restarts(), r.uploads()
				})
			},
		},
		{
			// Restarts are limited by the budget (3 a day); uploads by
			// the weekly limit.
			name: "kite down for good (restart budget)", wantRestarts: restartMax, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				return inFakeTime(t, func(t *testing.T) (int, int) {
					p := newScriptProber(100*time.Millisecond, verdicts(func(string, int, bool) probe.Verdict { return probe.KiteDown }))
					r := startRig(t, fakeSettings(kite), p, rigOptions{})
					time.Sleep(23 * time.Hour)
					r.stop()
					return r.restarts(), r.uploads()
				})
			},
		},
		{
			// Down twice, up once: never threshold (3) kite-downs in a row.
			name: "kite flapping faster than the threshold", wantRestarts: 0, wantUploads: 0,
			run: func(t *testing.T) (int, int) {
				return inFakeTime(t, func(t *testing.T) (int, int) {
					p := newScriptProber(100*time.Millisecond, verdicts(func(_ string, n int, _ bool) probe.Verdict {
						if n%3 == 2 {
							return probe.Flying
						}
						return probe.KiteDown
					}))
					r := startRig(t, fakeSettings(kite), p, rigOptions{})
					time.Sleep(6 * time.Hour)
					r.stop()
					return r.restarts(), r.uploads()
				})
			},
		},
		{
			// Kite-down into grace (probe 2), then the network goes for
			// an hour (360 probes) and the kite is back with it.
			name: "network down during grace, kite back after", wantRestarts: 0, wantUploads: 0,
			run: func(t *testing.T) (int, int) {
				return inFakeTime(t, func(t *testing.T) (int, int) {
					p := newScriptProber(100*time.Millisecond, networkDuringGrace(time.Now(), probe.Flying))
					r := startRig(t, fakeSettings(kite), p, rigOptions{})
					time.Sleep(3 * time.Hour)
					r.stop()
					if len(r.steps.entered(kite, fsm.Grace)) == 0 {
						t.Error("kite never entered grace: the scenario tests nothing")
					}
					return r.restarts(), r.uploads()
				})
			},
		},
		{
			// The same, but the kite is still down once the network is
			// back: the first fresh kite-down restarts.
			name: "network down during grace, kite still down after", wantRestarts: 1, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				return inFakeTime(t, func(t *testing.T) (int, int) {
					origin := time.Now()
					p := newScriptProber(100*time.Millisecond, networkDuringGrace(origin, probe.KiteDown))
					r := startRig(t, fakeSettings(kite), p, rigOptions{})
					time.Sleep(3 * time.Hour)
					r.stop()
					// No restart while the network was away; one soon after.
					if ts := r.restart.times(kite); len(ts) > 0 {
						if d := ts[0].Sub(origin); d < time.Hour || d > time.Hour+2*fakeInterval {
							t.Errorf("restart %v after the fault began, want within %v of the network's return at 1h", d, 2*fakeInterval)
						}
					}
					return r.restarts(), r.uploads()
				})
			},
		},
		{
			name: "suspend and resume", wantRestarts: 0, wantUploads: 0,
			run: suspendResume,
		},
		{
			name: "wall clock stepping back and forth", wantRestarts: restartMax, wantUploads: 1,
			run: clockSteps,
		},
		{
			name: "wall clock back and forth between outages", wantRestarts: restartMax, wantUploads: 1,
			run: clockStepsBetweenOutages,
		},
		{
			name: "config reload with errors during grace", wantRestarts: 1, wantUploads: 1,
			run: reloadDuringGrace,
		},
	}
}

// networkDuringGrace: kite-down for probes 0-4 (grace from probe 2, due at
// probe 5), then the network is down until an hour after origin, then
// `after`.
func networkDuringGrace(origin time.Time, after probe.Verdict) func(string, int, bool, time.Time) probe.Result {
	return func(_ string, n int, restarted bool, now time.Time) probe.Result {
		v := after
		switch {
		case restarted:
			v = probe.Flying
		case n < 5:
			v = probe.KiteDown
		case now.Sub(origin) < time.Hour:
			v = probe.Unreachable
		}
		return probe.Result{Verdict: v, Detail: "scripted " + string(v)}
	}
}

// checkRestartBound checks that the first restart came within the policy's
// bound after the kite went down at probe number downAt.
func checkRestartBound(t *testing.T, r *rig, downAt int) {
	t.Helper()
	ts := r.restart.times(kite)
	grace := r.steps.entered(kite, fsm.Grace)
	if len(ts) == 0 || len(grace) == 0 {
		return // the count check reports it
	}
	if d := ts[0].Sub(grace[0]); d < fakeGrace || d > fakeGrace+fakeInterval {
		t.Errorf("restart %v after grace began, want within [%v, %v]", d, fakeGrace, fakeGrace+fakeInterval)
	}
}

// suspendResume: two kite-down verdicts (suspect), then the machine sleeps
// for an hour; after resume PageKite needs four probes to reconnect. The
// evidence from before the sleep is stale: without the re-baseline, probe 2
// would start grace and probe 5 restart; with it, grace starts only at
// probe 4 and probe 6 finds the kite flying.
func suspendResume(t *testing.T) (int, int) {
	return inFakeTime(t, func(t *testing.T) (int, int) {
		p := newScriptProber(100*time.Millisecond, verdicts(func(_ string, n int, restarted bool) probe.Verdict {
			if n < 6 && !restarted {
				return probe.KiteDown
			}
			return probe.Flying
		}))
		r := startRig(t, fakeSettings(kite), p, rigOptions{})
		waitProbes(t, p, kite, 2, time.Minute)
		r.clocks.sleep(time.Hour)
		time.Sleep(3 * time.Hour)
		r.stop()
		if len(r.steps.entered(kite, fsm.Grace)) == 0 {
			t.Error("kite never entered grace after the resume: the scenario tests nothing")
		}
		return r.restarts(), r.uploads()
	})
}

// clockSteps: a kite down for good while the wall clock steps back by 6h,
// forward again, back by 20 min and forward again. The budget (3 a day)
// must hold: a clock step may delay a restart, never add one.
func clockSteps(t *testing.T) (int, int) {
	return inFakeTime(t, func(t *testing.T) (int, int) {
		p := newScriptProber(100*time.Millisecond, verdicts(func(string, int, bool) probe.Verdict { return probe.KiteDown }))
		store := openStore(t, "")
		b := &steppedBudget{inner: store}
		r := startRig(t, fakeSettings(kite), p, rigOptions{store: store, budget: b})
		for _, st := range []struct{ after, step time.Duration }{
			{time.Hour, -6 * time.Hour},
			{2 * time.Hour, 6 * time.Hour},
			{2 * time.Hour, -20 * time.Minute},
			{time.Hour, 20 * time.Minute},
		} {
			time.Sleep(st.after)
			b.step(st.step)
		}
		time.Sleep(23*time.Hour - 6*time.Hour)
		r.stop()
		return r.restarts(), r.uploads()
	})
}

// clockStepsBetweenOutages: three outages in the first hours, each ended
// by a restart, use up the budget (3 a day). The wall clock then steps back
// by 12 h and, an hour later, forward again. A fourth outage at 10 h must
// wait until the first restart has left the window, 24 h after it: a clock
// step may delay a restart, never hasten one.
func clockStepsBetweenOutages(t *testing.T) (int, int) {
	return inFakeTime(t, func(t *testing.T) (int, int) {
		origin := time.Now()
		outages := []time.Duration{10 * time.Minute, time.Hour, 2 * time.Hour, 10 * time.Hour}
		var restarted atomic.Int32
		p := newScriptProber(100*time.Millisecond, verdicts(func(string, int, bool) probe.Verdict {
			// Outage k lasts until the (k+1)th restart.
			at, k := time.Since(origin), int(restarted.Load())
			if k < len(outages) && at >= outages[k] {
				return probe.KiteDown
			}
			return probe.Flying
		}))
		store := openStore(t, "")
		b := &steppedBudget{inner: store}
		fr := newFakeRestarter(func(string) { restarted.Add(1) })
		r := startRig(t, fakeSettings(kite), p, rigOptions{store: store, budget: b, restarter: fr})
		r.restart = fr
		time.Sleep(3 * time.Hour)
		if n := fr.total(); n != restartMax {
			t.Fatalf("restarts in the first 3h = %d, want %d before the clock steps", n, restartMax)
		}
		b.step(-12 * time.Hour)
		time.Sleep(time.Hour)
		b.step(12 * time.Hour)
		time.Sleep(19 * time.Hour) // to 23h
		r.stop()
		if ts := fr.times(kite); len(ts) > restartMax {
			t.Errorf("restart %d at %v, want none before %v (24h after the first)", restartMax+1, ts[restartMax].Sub(origin), ts[0].Sub(origin)+restartWindow)
		}
		return r.restarts(), r.uploads()
	})
}

// reloadDuringGrace: the kite is in grace when a reload with a config error
// comes (the old settings stay, with the error shown), and again with a
// copy of the same settings: the grace period runs on unchanged, and the
// restart comes when it was due.
func reloadDuringGrace(t *testing.T) (int, int) {
	return inFakeTime(t, func(t *testing.T) (int, int) {
		p := newScriptProber(100*time.Millisecond, verdicts(downUntilRestarted(0)))
		s := fakeSettings(kite)
		r := startRig(t, s, p, rigOptions{})
		waitProbes(t, p, kite, fakeThreshold+1, time.Minute) // in grace
		ctx := context.Background()
		r.w.Reload(ctx, s, "pkwatchdogd.toml:3:1: unknown key policy.grace_perod")
		time.Sleep(5 * time.Second)
		same := *s
		r.w.Reload(ctx, &same, "pkwatchdogd.toml:7:9: probe.interval: invalid duration")
		time.Sleep(time.Hour)
		r.stop()
		checkRestartBound(t, r, 0)
		return r.restarts(), r.uploads()
	})
}

// stateScenarios are the persisted-state faults, with the real store.
func stateScenarios() []scenario {
	return []scenario{
		{
			// A corrupt state file: the store starts cautious (as if a
			// full window of restarts and an upload had just happened):
			// no restart for 24h, then the budget's 3; no upload.
			name: "corrupt state file", wantRestarts: restartMax, wantUploads: 0,
			run: func(t *testing.T) (int, int) {
				return inFakeTime(t, func(t *testing.T) (int, int) {
					path := t.TempDir() + "/ratelimit.json"
					writeFile(t, path, "{\"version\": 1, \"restarts\": {\"a.kite.test\": [tru")
					st, warn, err := ratelimit.Open(path, restartMax, restartWindow, uploadEvery, uploadRetry, time.Now())
					if err != nil || warn == nil {
						t.Fatalf("ratelimit.Open(corrupt) = %v, %v, want a warning and no error", warn, err)
					}
					p := newScriptProber(100*time.Millisecond, verdicts(func(string, int, bool) probe.Verdict { return probe.KiteDown }))
					start := time.Now()
					r := startRig(t, fakeSettings(kite), p, rigOptions{store: st})
					time.Sleep(26 * time.Hour)
					r.stop()
					if ts := r.restart.times(kite); len(ts) > 0 && ts[0].Sub(start) < restartWindow {
						t.Errorf("first restart %v after a corrupt state file, want none before %v", ts[0].Sub(start), restartWindow)
					}
					return r.restarts(), r.uploads()
				})
			},
		},
		{
			// The state directory goes away under a running daemon: the
			// budget and the upload limit still hold, in memory.
			name: "unwritable state dir", wantRestarts: restartMax, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				return inFakeTime(t, func(t *testing.T) (int, int) {
					dir := t.TempDir() + "/state"
					mkdir(t, dir)
					st := openStore(t, dir+"/ratelimit.json")
					// Root ignores permissions: a file in the directory's
					// place makes every write fail even for root.
					removeAll(t, dir)
					writeFile(t, dir, "not a directory")
					if err := st.RecordUploadAttempt(time.Now().Add(-uploadEvery), true); err == nil {
						t.Fatal("RecordUploadAttempt() with the state dir gone = nil, want an error")
					}
					p := newScriptProber(100*time.Millisecond, verdicts(func(string, int, bool) probe.Verdict { return probe.KiteDown }))
					r := startRig(t, fakeSettings(kite), p, rigOptions{store: st})
					time.Sleep(23 * time.Hour)
					r.stop()
					return r.restarts(), r.uploads()
				})
			},
		},
	}
}
