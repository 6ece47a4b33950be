package watchdog

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/status"
)

// harness runs a Watchdog inside a synctest bubble.
type harness struct {
	t        *testing.T
	w        *Watchdog
	prober   *fakeProber
	restart  *fakeRestarter
	clocks   *fakeClocks
	settings *Settings
	cancel   context.CancelFunc
	done     chan struct{}
}

func testSettings(t *testing.T, kites ...string) *Settings {
	s := &Settings{
		Interval: 10 * time.Second,
		Jitter:   0,
		Timeout:  3 * time.Second,
		Policy: fsm.Policy{
			FailureThreshold: 3,
			GracePeriod:      30 * time.Second,
		},
		StatusFile: filepath.Join(t.TempDir(), "status.json"),
		Instances: []desk.Instance{{
			Name:   "pagekite",
			Policy: desk.Policy{Cooldown: 60 * time.Second, MaxCooldown: 10 * time.Minute},
		}},
	}
	for _, k := range kites {
		s.Instances[0].Targets = append(s.Instances[0].Targets, probe.Target{Name: k, Kind: probe.KindHTTP})
	}
	return s
}

// pk is s's first instance.
func pk(s *Settings) *desk.Instance { return &s.Instances[0] }

// clone copies s deeply enough for a reload: its instances and targets.
func clone(s *Settings) *Settings {
	next := *s
	next.Instances = append([]desk.Instance(nil), s.Instances...)
	for i := range next.Instances {
		next.Instances[i].Targets = append([]probe.Target(nil), s.Instances[i].Targets...)
	}
	return &next
}

// start runs the watchdog; it must be called inside synctest.Test. Options
// change the deps (and the fake restarter) before anything runs.
func start(t *testing.T, s *Settings, p *fakeProber, concurrency int, log *zap.Logger, opts ...func(*Deps, *fakeRestarter)) *harness {
	t.Helper()
	h := &harness{t: t, prober: p, restart: &fakeRestarter{processStart: time.Now().Add(-time.Hour)}, clocks: newFakeClocks(), settings: s, done: make(chan struct{})}
	if log == nil {
		log = zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))
	}
	for i := range s.Instances {
		if s.Instances[i].Restarter == nil {
			s.Instances[i].Restarter = h.restart
		}
	}
	deps := Deps{
		Prober:      p,
		Budget:      newBudget(t, 3, 24*time.Hour),
		Clocks:      h.clocks.read,
		Concurrency: concurrency,
		Version:     "test",
	}
	for _, o := range opts {
		o(&deps, h.restart)
	}
	h.w = New(log, s, deps)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	ready := make(chan struct{})
	go func() {
		defer close(h.done)
		if err := h.w.Run(ctx, func() { close(ready) }); err != nil {
			t.Errorf("Run() = %v", err)
		}
	}()
	<-ready
	return h
}

// stop ends the watchdog and checks that it stopped within the stop timeout.
func (h *harness) stop() {
	h.t.Helper()
	began := time.Now()
	h.cancel()
	<-h.done
	if took := time.Since(began); took > stopTimeout {
		h.t.Errorf("Run took %v to stop, want at most %v", took, stopTimeout)
	}
}

func (h *harness) status() *status.File {
	h.t.Helper()
	f, err := status.Read(h.settings.StatusFile)
	if err != nil {
		h.t.Fatalf("status.Read() = %v", err)
	}
	return f
}

// downFrom answers kite-down from the given offset of the bubble's start,
// flying before it and after `until` (if not zero).
func downBetween(origin time.Time, from, until time.Duration) func(string, time.Time) probe.Verdict {
	return func(_ string, now time.Time) probe.Verdict {
		d := now.Sub(origin)
		if d >= from && (until == 0 || d < until) {
			return probe.KiteDown
		}
		return probe.Flying
	}
}

func TestRestartComesWithinThePolicyBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		origin := time.Now()
		const downAt = 100 * time.Second
		p := newFakeProber(100*time.Millisecond, downBetween(origin, downAt, 0))
		s := testSettings(t, "a.kite.test")
		h := start(t, s, p, 4, nil, func(_ *Deps, r *fakeRestarter) {
			// The restart brings the kite back.
			r.onRestart = func(time.Time) {
				p.mu.Lock()
				p.verdict = func(string, time.Time) probe.Verdict { return probe.Flying }
				p.mu.Unlock()
			}
		})
		time.Sleep(5 * time.Minute)
		got := h.restart.restartTimes()
		if len(got) != 1 {
			t.Fatalf("restarts = %d, want 1", len(got))
		}
		// (threshold-1) × interval + grace, plus up to one interval of phase.
		after := got[0].Sub(origin) - downAt
		lo := 2*s.Interval + s.Policy.GracePeriod
		hi := lo + s.Interval + time.Second
		if after < lo || after > hi {
			t.Errorf("restart %v after the kite went down, want within [%v, %v]", after, lo, hi)
		}
		f := h.status()
		if len(f.Kites) != 1 || f.Kites[0].State != string(fsm.Healthy) {
			t.Errorf("status kites = %+v, want one healthy kite after the cooldown", f.Kites)
		}
		if f.Kites[0].RestartsInWindow != 1 || f.Kites[0].LastOutcome == "" {
			t.Errorf("status kite = %+v, want restarts_in_window 1 and a last outcome", f.Kites[0])
		}
		h.stop()
	})
}

func TestNoRestartWithoutKiteDown(t *testing.T) {
	verdicts := []probe.Verdict{probe.Flying, probe.BackendDown, probe.Stalled, probe.Unreachable, probe.Unrecognized}
	synctest.Test(t, func(t *testing.T) {
		i := 0
		p := newFakeProber(time.Second, func(string, time.Time) probe.Verdict {
			i++ // one kite: its probes never overlap, so no lock is needed
			return verdicts[(i*7)%len(verdicts)]
		})
		h := start(t, testSettings(t, "a.kite.test"), p, 1, nil)
		time.Sleep(2 * time.Hour)
		if n := len(h.restart.restartTimes()); n != 0 {
			t.Errorf("restarts = %d for verdicts without kite-down, want 0", n)
		}
		h.stop()
	})
}

// TestSuspectAsksPagekitecToLog: a pagekitec instance's kite turning
// suspect makes the desk ask it for more logging (once until the restart);
// a pagekite.py instance is never asked.
func TestSuspectAsksPagekitecToLog(t *testing.T) {
	for _, kind := range []pagekite.Kind{pagekite.C, pagekite.Py} {
		synctest.Test(t, func(t *testing.T) {
			origin := time.Now()
			s := testSettings(t, "a.kite.test")
			pk(s).Kind = kind
			// Down for two probes (under the threshold of 3), then up, twice:
			// suspect twice, no restart.
			p := newFakeProber(time.Second, func(_ string, now time.Time) probe.Verdict {
				if d := now.Sub(origin); d > 5*time.Second && d < 25*time.Second || d > 65*time.Second && d < 85*time.Second {
					return probe.KiteDown
				}
				return probe.Flying
			})
			h := start(t, s, p, 1, nil)
			time.Sleep(2 * time.Minute)
			want := map[pagekite.Kind]int{pagekite.C: 1, pagekite.Py: 0}[kind]
			if n := h.restart.raiseCount(); n != want || len(h.restart.restartTimes()) != 0 {
				t.Errorf("%s: raises = %d, restarts %d; want %d and 0", kind, n, len(h.restart.restartTimes()), want)
			}
			h.stop()
		})
	}
}

func TestInconclusiveAfterGraceNeverRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		origin := time.Now()
		// Down for 35 s (three kite-downs: grace, whose deadline is at least
		// 50 s in), then the network goes away for good.
		p := newFakeProber(time.Second, func(_ string, now time.Time) probe.Verdict {
			if now.Sub(origin) < 35*time.Second {
				return probe.KiteDown
			}
			return probe.Unreachable
		})
		h := start(t, testSettings(t, "a.kite.test"), p, 1, nil)
		time.Sleep(time.Hour)
		if n := len(h.restart.restartTimes()); n != 0 {
			t.Errorf("restarts = %d while the network was down, want 0", n)
		}
		if st := h.status().Kites[0].State; st != string(fsm.Grace) {
			t.Errorf("state = %s, want grace (waiting for a conclusive verdict)", st)
		}
		// Waiting in grace probes at the usual pace, not in a tight loop.
		if n := len(p.probeStarts("a.kite.test")); n > 400 {
			t.Errorf("probes in an hour = %d, want about 360 (one per 10 s)", n)
		}
		h.stop()
	})
}

func TestConcurrencyCapAndNoOverlap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		kites := kiteNames(50)
		// Each probe takes 8 s of a 10 s interval: without the cap, about
		// 40 would run at once.
		p := newFakeProber(8*time.Second, func(string, time.Time) probe.Verdict { return probe.Flying })
		h := start(t, testSettings(t, kites...), p, 5, nil)
		time.Sleep(10 * time.Minute)
		p.mu.Lock()
		maxTotal, overlapping := p.maxTotal, p.overlapping
		p.mu.Unlock()
		if maxTotal != 5 {
			t.Errorf("most probes at once = %d, want exactly the cap 5", maxTotal)
		}
		if overlapping {
			t.Error("a kite's probe overlapped its previous one")
		}
		h.stop()
	})
}

// TestProbeStartsKeepThePace: probes start every interval ± jitter, however
// long each takes (here 3 s of a 10 s interval, as a slow relay would).
func TestProbeStartsKeepThePace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProber(3*time.Second, func(string, time.Time) probe.Verdict { return probe.Flying })
		s := testSettings(t, "a.kite.test", "b.kite.test")
		s.Jitter = 0.1
		h := start(t, s, p, 4, nil)
		time.Sleep(10 * time.Minute)
		h.stop()
		lo, hi := 9*time.Second, 11*time.Second
		for _, k := range []string{"a.kite.test", "b.kite.test"} {
			starts := p.probeStarts(k)
			if len(starts) < 55 {
				t.Errorf("%s: %d probes in 10 min at a 10 s interval, want about 60", k, len(starts))
			}
			for i := 1; i < len(starts); i++ {
				if gap := starts[i].Sub(starts[i-1]); gap < lo || gap > hi {
					t.Errorf("%s: probe %d started %v after the one before, want within [%v, %v]", k, i, gap, lo, hi)
				}
			}
		}
	})
}

// TestQueuedProbesWarnOnce starves the probe slots (50 kites, probes of 8 s
// every 10 s, 5 slots) and checks that the operator is told to raise
// probe.concurrency, once per queuedWarnEvery, not once per probe.
func TestQueuedProbesWarnOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		kites := kiteNames(50)
		p := newFakeProber(8*time.Second, func(string, time.Time) probe.Verdict { return probe.Flying })
		core, logs := observer.New(zap.WarnLevel)
		h := start(t, testSettings(t, kites...), p, 5, zap.New(core))
		time.Sleep(queuedWarnEvery - time.Minute)
		h.stop()
		warned := logs.FilterMessage("probes wait for a free slot: raise probe.concurrency").All()
		if len(warned) != 1 {
			t.Fatalf("%d warnings about queued probes in %v, want 1", len(warned), queuedWarnEvery-time.Minute)
		}
		if c := warned[0].ContextMap()["concurrency"]; c != int64(5) {
			t.Errorf("warning says concurrency %v, want 5", c)
		}
	})
}

func TestProbesAreSpread(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		kites := kiteNames(1000)
		p := newFakeProber(50*time.Millisecond, func(string, time.Time) probe.Verdict { return probe.Flying })
		s := testSettings(t, kites...)
		s.Interval, s.Jitter = 60*time.Second, 0.1
		origin := time.Now()
		h := start(t, s, p, 16, zap.NewNop())
		time.Sleep(10 * time.Minute)
		h.stop()
		perSecond := make(map[int64]int)
		total := 0
		// Every kite's first probe comes within the interval less the
		// timeout (so that it has a verdict within interval + timeout),
		// plus a moment's wait for one of the 16 probe slots.
		firstBy := s.Interval - s.Timeout + time.Second
		for _, k := range kites {
			starts := p.probeStarts(k)
			if len(starts) > 0 && starts[0].Sub(origin) > firstBy {
				t.Errorf("%s: first probe %v after the start, want within %v", k, starts[0].Sub(origin), firstBy)
			}
			for _, at := range starts {
				perSecond[int64(at.Sub(origin)/time.Second)]++
				total++
			}
		}
		mean := float64(total) / 600
		most := 0
		for _, n := range perSecond {
			most = max(most, n)
		}
		t.Logf("1000 kites, 10 min: %d probes, mean %.1f/s, busiest second %d (ratio %.2f)", total, mean, most, float64(most)/mean)
		// Two random choices per probe keep it near 1.4; one choice, as
		// with independent jitter, gives about 1.9.
		if ratio := float64(most) / mean; ratio > 1.6 {
			t.Errorf("busiest second / mean = %.2f, want <= 1.6", ratio)
		}
		if total < 9000 {
			t.Errorf("probes in 10 min = %d, want about 10000", total)
		}
	})
}

func TestStartupDelayHoldsRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		origin := time.Now()
		p := newFakeProber(100*time.Millisecond, downBetween(origin, 0, 0))
		s := testSettings(t, "a.kite.test")
		pk(s).Policy.StartupDelay = 5 * time.Minute
		h := start(t, s, p, 1, nil)
		time.Sleep(4*time.Minute + 50*time.Second)
		if n := len(h.restart.restartTimes()); n != 0 {
			t.Fatalf("restarts = %d within startup_delay, want 0", n)
		}
		time.Sleep(30 * time.Second)
		got := h.restart.restartTimes()
		if len(got) != 1 {
			t.Fatalf("restarts = %d just after startup_delay, want 1", len(got))
		}
		if at := got[0].Sub(origin); at < pk(s).Policy.StartupDelay {
			t.Errorf("restart at %v, want not before startup_delay %v", at, pk(s).Policy.StartupDelay)
		}
		// The hold moved the kite's deadline: it probes again right when
		// the hold ends, not at its next regular probe.
		end := origin.Add(pk(s).Policy.StartupDelay)
		if !slices.ContainsFunc(p.probeStarts("a.kite.test"), func(at time.Time) bool { return at.Equal(end) }) {
			t.Errorf("no probe at the hold's end (%v); probes at %v", end.Sub(origin), p.probeStarts("a.kite.test"))
		}
		h.stop()
	})
}

func TestYoungProcessHoldsRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		origin := time.Now()
		p := newFakeProber(100*time.Millisecond, downBetween(origin, 0, 0))
		s := testSettings(t, "a.kite.test")
		pk(s).Policy.MinProcessAge = 5 * time.Minute
		h := start(t, s, p, 1, nil)
		h.restart.mu.Lock()
		h.restart.processStart = origin // PageKite started with the watchdog
		h.restart.mu.Unlock()
		time.Sleep(5*time.Minute + 20*time.Second)
		got := h.restart.restartTimes()
		if len(got) != 1 {
			t.Fatalf("restarts = %d, want 1 once the process is old enough", len(got))
		}
		if at := got[0].Sub(origin); at < pk(s).Policy.MinProcessAge {
			t.Errorf("restart of a process %v old, want at least min_process_age %v", at, pk(s).Policy.MinProcessAge)
		}
		h.stop()
	})
}

func TestBudgetLimitsRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		origin := time.Now()
		// The kite never comes back: restarts are limited to 3 in 24 h.
		p := newFakeProber(100*time.Millisecond, downBetween(origin, 0, 0))
		h := start(t, testSettings(t, "a.kite.test"), p, 1, nil)
		time.Sleep(23 * time.Hour)
		got := h.restart.restartTimes()
		if len(got) != 3 {
			t.Fatalf("restarts in 23h = %d, want the budget's 3", len(got))
		}
		f := h.status()
		if k := f.Kites[0]; k.RestartsInWindow != 3 || k.NextRestartAllowed == "" {
			t.Errorf("status = %+v, want restarts_in_window 3 and next_restart_allowed set", k)
		}
		time.Sleep(3 * time.Hour)
		got = h.restart.restartTimes()
		if len(got) < 4 {
			t.Fatalf("restarts after the first left the window = %d, want more than 3", len(got))
		}
		for i := 3; i < len(got); i++ {
			if gap := got[i].Sub(got[i-3]); gap < 24*time.Hour {
				t.Errorf("restarts %d and %d are %v apart, want at least the 24h window", i-3, i, gap)
			}
		}
		h.stop()
	})
}

func TestCooldownDoublesWhenRestartDoesNotHelp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		origin := time.Now()
		p := newFakeProber(100*time.Millisecond, downBetween(origin, 0, 0))
		s := testSettings(t, "a.kite.test")
		h := start(t, s, p, 1, nil, func(d *Deps, _ *fakeRestarter) { d.Budget = newBudget(t, 100, 24*time.Hour) })
		time.Sleep(20 * time.Minute)
		got := h.restart.restartTimes()
		if len(got) < 3 {
			t.Fatalf("restarts = %d, want at least 3", len(got))
		}
		// Between restarts: cooldown, then threshold and grace again; the
		// cooldown part doubles each time.
		gap1, gap2 := got[1].Sub(got[0]), got[2].Sub(got[1])
		if d := gap2 - gap1; d < pk(s).Policy.Cooldown-s.Interval || d > pk(s).Policy.Cooldown+s.Interval {
			t.Errorf("gaps between restarts %v then %v, want the second longer by one more cooldown (%v)", gap1, gap2, pk(s).Policy.Cooldown)
		}
		h.stop()
	})
}

func TestSleepRebaselinesSuspects(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		origin := time.Now()
		p := newFakeProber(100*time.Millisecond, downBetween(origin, 0, 15*time.Second))
		h := start(t, testSettings(t, "a.kite.test"), p, 1, nil)
		time.Sleep(14 * time.Second) // one or two kite-down verdicts: suspect
		h.clocks.sleep(time.Hour)
		p.mu.Lock()
		p.verdict = func(string, time.Time) probe.Verdict { return probe.Unreachable }
		p.mu.Unlock()
		time.Sleep(tick + 2*flushDelay)
		if st := h.status().Kites[0]; st.State != string(fsm.Healthy) || st.Count != 0 {
			t.Errorf("after a sleep: state %s count %d, want healthy with no count", st.State, st.Count)
		}
		h.stop()
	})
}

func TestReloadKeepsStateAndStopsRemovedKites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		origin := time.Now()
		p := newFakeProber(100*time.Millisecond, func(k string, now time.Time) probe.Verdict {
			if k == "a.kite.test" {
				return probe.KiteDown
			}
			return probe.Flying
		})
		_ = origin
		s := testSettings(t, "a.kite.test", "b.kite.test")
		obs := &forgetLog{}
		h := start(t, s, p, 2, nil, func(d *Deps, _ *fakeRestarter) { d.Observer = obs })
		time.Sleep(35 * time.Second) // a: grace
		before := h.status()
		if before.Kites[0].State != string(fsm.Grace) {
			t.Fatalf("a.kite.test state = %s, want grace before the reload", before.Kites[0].State)
		}
		next := clone(s)
		pk(next).Targets = []probe.Target{pk(s).Targets[0], {Name: "c.kite.test", Kind: probe.KindHTTP}}
		h.w.Reload(context.Background(), next, "")
		time.Sleep(2 * flushDelay)
		f := h.status()
		names := []string{}
		for _, k := range f.Kites {
			names = append(names, k.Name)
		}
		if len(f.Kites) != 2 || f.Kites[0].Name != "a.kite.test" || f.Kites[1].Name != "c.kite.test" {
			t.Fatalf("kites after reload = %v, want [a.kite.test c.kite.test]", names)
		}
		if f.Kites[0].State != string(fsm.Grace) || f.Kites[0].Since != before.Kites[0].Since {
			t.Errorf("a.kite.test after reload = %s since %s, want grace since %s (state kept)", f.Kites[0].State, f.Kites[0].Since, before.Kites[0].Since)
		}
		nb := len(p.probeStarts("b.kite.test"))
		time.Sleep(time.Minute)
		if got := len(p.probeStarts("b.kite.test")); got != nb {
			t.Errorf("b.kite.test probed %d more times after it was removed, want 0", got-nb)
		}
		if got := obs.forgotten(); !slices.Equal(got, []string{"b.kite.test"}) {
			t.Errorf("kites the observer was told to forget = %v, want [b.kite.test]", got)
		}
		h.stop()
	})
}

func TestStopIsOrderlyWhileProbing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Probes that take the whole timeout are abandoned on stop; every
		// goroutine ends (synctest fails the test on a leaked one).
		p := newFakeProber(time.Hour, func(string, time.Time) probe.Verdict { return probe.Stalled })
		h := start(t, testSettings(t, "a.kite.test", "b.kite.test"), p, 2, nil)
		time.Sleep(30 * time.Second)
		h.stop()
		if f := h.status(); len(f.Kites) != 2 {
			t.Errorf("final status kites = %d, want 2", len(f.Kites))
		}
	})
}

// kiteNames is n kite names: k0.kite.test, k1.kite.test, ...
func kiteNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = "k" + strconv.Itoa(i) + ".kite.test"
	}
	return names
}

// forgetLog is an Observer that keeps the kites it is told to forget.
type forgetLog struct {
	mu   sync.Mutex
	gone []string
}

func (f *forgetLog) Probed(string, probe.Result)     {}
func (f *forgetLog) Changed(string, fsm.Step)        {}
func (f *forgetLog) Restarted(string, action.Result) {}
func (f *forgetLog) Suppressed(string, string)       {}
func (f *forgetLog) Forget(kite string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gone = append(f.gone, kite)
}

func (f *forgetLog) forgotten() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.gone)
}

// stepLog is an Observer that keeps the states each change entered.
type stepLog struct {
	forgetLog
	mu sync.Mutex
	to []fsm.State
}

func (s *stepLog) Changed(_ string, st fsm.Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.to = append(s.to, st.To)
}

func (s *stepLog) states() []fsm.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.to)
}

// TestInstantRestartStillRestarting: a restart that ends at once (no
// process found) sends the desk's "restarting" and "cooled" answers back
// to back; the mailbox keeps the latest, and the kite must still go
// grace -> restarting -> cooldown, as its history and journal say.
func TestInstantRestartStillRestarting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProber(100*time.Millisecond, func(string, time.Time) probe.Verdict { return probe.KiteDown })
		s := testSettings(t, "a.kite.test")
		obs := &stepLog{}
		h := start(t, s, p, 2, nil, func(d *Deps, r *fakeRestarter) {
			d.Observer = obs
			r.outcome = action.OutcomeNoProcess
		})
		time.Sleep(2 * time.Minute)
		h.stop()
		got := obs.states()
		i := slices.Index(got, fsm.Cooldown)
		if i < 1 || got[i-1] != fsm.Restarting {
			t.Errorf("states entered = %v, want restarting just before the first cooldown", got)
		}
	})
}
