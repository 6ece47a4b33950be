package faults

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/watchdog"
)

// A simulated week of 1000 kites with random faults, in fake time (fewer
// days under the race detector: see race_test.go). Each
// kite gets its own schedule of episodes, drawn from a fixed seed, spaced so
// that the expected restarts are known in advance:
//
//   - outage: kite-down (with some inconclusive answers mixed in) until the
//     kite is restarted: exactly one restart. Outages start at least 10 h
//     apart, so the budget (3 a day) never holds one back, and none starts
//     in the last 12 h, so each one is over by the end.
//   - blip: kite-down for at most 45 min, which at a 30 min ± 10% interval
//     is at most two probes, below the threshold of three: no restart.
//   - noise: up to 6 h of inconclusive verdicts (and backend-down): no
//     restart.
//
// Every episode is followed by at least 45 min of flying.

const (
	weekKites    = 1000
	week         = weekDays * 24 * time.Hour
	weekInterval = 30 * time.Minute
	weekSeed     = 20261124
)

type episodeKind int

const (
	outage episodeKind = iota
	blip
	noise
)

// episode is a fault from `from` (after the start) until `to` (outages:
// until restarted).
type episode struct {
	kind     episodeKind
	from, to time.Duration
}

// weekSchedule draws kite i's episodes.
func weekSchedule(i int) []episode {
	rng := rand.New(rand.NewPCG(weekSeed, uint64(i)))
	between := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(rng.Int64N(int64(hi-lo))) }
	var eps []episode
	lastOutage := -24 * time.Hour
	for t := between(time.Hour, 24*time.Hour); t < week-12*time.Hour; {
		switch k := rng.IntN(10); {
		case k < 2 && t-lastOutage >= 10*time.Hour:
			eps = append(eps, episode{kind: outage, from: t})
			lastOutage = t
			// An outage is over within about 2.5 h (threshold, grace,
			// one interval, inconclusive answers).
			t += between(10*time.Hour, 36*time.Hour)
		case k < 6:
			l := between(5*time.Minute, 45*time.Minute)
			eps = append(eps, episode{kind: blip, from: t, to: t + l})
			t += l + between(45*time.Minute, 36*time.Hour)
		default:
			l := between(10*time.Minute, 6*time.Hour)
			eps = append(eps, episode{kind: noise, from: t, to: t + l})
			t += l + between(45*time.Minute, 36*time.Hour)
		}
	}
	return eps
}

// inconclusive picks a verdict that must not count toward a restart.
func inconclusive(n int) probe.Verdict {
	return []probe.Verdict{probe.Stalled, probe.Unreachable, probe.Unrecognized, probe.BackendDown}[n%4]
}

// weekProber answers from the schedules; it learns of restarts from the
// fake restarter.
type weekProber struct {
	origin    time.Time
	schedules [][]episode
	names     map[string]int

	mu sync.Mutex // guards the fields below
	// probes counts probes per kite; restarted is each kite's last
	// restart, as time since origin.
	probes    []int
	restarted []time.Duration
}

func (p *weekProber) verdict(kite string, now time.Time) probe.Verdict {
	i := p.names[kite]
	at := now.Sub(p.origin)
	p.mu.Lock()
	n := p.probes[i]
	p.probes[i]++
	restarted := p.restarted[i]
	p.mu.Unlock()
	for _, ep := range p.schedules[i] {
		if at < ep.from {
			break
		}
		switch {
		case ep.kind == outage && restarted < ep.from:
			if n%5 == 0 {
				return inconclusive(n / 5 % 3) // never backend-down here
			}
			return probe.KiteDown
		case ep.kind == blip && at < ep.to:
			return probe.KiteDown
		case ep.kind == noise && at < ep.to:
			// One verdict per episode: a change of verdict costs the
			// loop a status write, which dominates a simulated week.
			return inconclusive(int(ep.from / time.Minute))
		}
	}
	return probe.Flying
}

func (p *weekProber) restart(kite string) {
	i := p.names[kite]
	p.mu.Lock()
	p.restarted[i] = time.Since(p.origin)
	p.mu.Unlock()
}

func weekScenarios() []scenario {
	names := make([]string, weekKites)
	schedules := make([][]episode, weekKites)
	outages, blips, noises := 0, 0, 0
	for i := range weekKites {
		names[i] = fmt.Sprintf("k%04d.kite.test", i)
		schedules[i] = weekSchedule(i)
		for _, ep := range schedules[i] {
			switch ep.kind {
			case outage:
				outages++
			case blip:
				blips++
			default:
				noises++
			}
		}
	}
	wantUploads := min(outages, 1) // one a week at most, machine-wide
	return []scenario{{
		name:         fmt.Sprintf("%d kites, %d simulated days, random faults", weekKites, weekDays),
		wantRestarts: outages,
		wantUploads:  wantUploads,
		run: func(t *testing.T) (int, int) {
			t.Logf("schedule: %d outages, %d blips, %d noise episodes", outages, blips, noises)
			return inFakeTime(t, func(t *testing.T) (int, int) {
				wp := &weekProber{origin: time.Now(), schedules: schedules, names: map[string]int{},
					probes: make([]int, weekKites), restarted: make([]time.Duration, weekKites)}
				for i, n := range names {
					wp.names[n] = i
					wp.restarted[i] = -time.Hour
				}
				p := newScriptProber(0, func(kite string, _ int, _ bool, now time.Time) probe.Result {
					v := wp.verdict(kite, now)
					return probe.Result{Verdict: v, Detail: "scripted " + string(v)}
				})
				s := &watchdog.Settings{
					Interval: weekInterval,
					Jitter:   0.1,
					Timeout:  10 * time.Second,
					Policy: fsm.Policy{
						FailureThreshold: 3,
						GracePeriod:      time.Hour,
					},
				}
				// Each kite is its own PageKite instance: 1000 machines'
				// worth of PageKites, each restarted for its own outages.
				for _, n := range names {
					s.Instances = append(s.Instances, desk.Instance{Name: n,
						Policy:  desk.Policy{Cooldown: 2 * time.Hour, MaxCooldown: 8 * time.Hour},
						Targets: []probe.Target{{Name: n, Kind: probe.KindHTTP}}})
				}
				restarter := newFakeRestarter(wp.restart)
				r := startRig(t, s, p, rigOptions{restarter: restarter, concurrency: 16, quiet: true})
				r.restart = restarter
				time.Sleep(week + time.Hour)
				r.stop()
				// Per kite: one restart per outage, each within the
				// policy's bound of the outage's start.
				bad := 0
				for i, n := range names {
					var starts []time.Duration
					for _, ep := range schedules[i] {
						if ep.kind == outage {
							starts = append(starts, ep.from)
						}
					}
					got := restarter.times(n)
					if len(got) != len(starts) {
						if bad++; bad <= 5 {
							t.Errorf("%s: %d restarts, want %d (outages at %v)", n, len(got), len(starts), starts)
						}
						continue
					}
					for j, at := range got {
						// Threshold probes, grace, an interval of phase
						// and inconclusive answers on the way.
						d := at.Sub(wp.origin) - starts[j]
						if d < s.Policy.GracePeriod || d > s.Policy.GracePeriod+6*weekInterval {
							if bad++; bad <= 5 {
								t.Errorf("%s: restart %v after outage %d began, want within [%v, %v]", n, d, j, s.Policy.GracePeriod, s.Policy.GracePeriod+6*weekInterval)
							}
						}
					}
				}
				return r.restarts(), r.uploads()
			})
		},
	}}
}
