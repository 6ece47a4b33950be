//go:build bench

package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/watchdog"
)

// The spreading bench runs the real watchdog loop on fake time
// (testing/synctest) over these stand-ins: fake time cannot drive real
// sockets and processes, and ten minutes of 1000 kites must take seconds.

// slowProber answers "flying" after took of fake time (the Debian relay's
// 1.1 s) and records when each probe started.
type slowProber struct {
	took time.Duration

	mu sync.Mutex // guards starts
	// starts are the probe start times.
	starts []time.Time
}

func (p *slowProber) Probe(ctx context.Context, t probe.Target) probe.Result {
	start := time.Now()
	p.mu.Lock()
	p.starts = append(p.starts, start)
	p.mu.Unlock()
	timer := time.NewTimer(p.took)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
	return probe.Result{Kite: t.Name, Verdict: probe.Flying, Detail: "fake", Start: start, Duration: time.Since(start)}
}

// noRestarter never restarts: every kite is flying.
type noRestarter struct{}

func (noRestarter) Find(context.Context) (action.Process, error) {
	return action.Process{PID: 1, Started: time.Now().Add(-time.Hour)}, nil
}

func (noRestarter) RestartFound(context.Context, string, *action.Process) action.Result {
	return action.Result{}
}

func (noRestarter) RaiseLogLevel(context.Context) error { return nil }

// openBudget always allows.
type openBudget struct{}

func (openBudget) RestartAllowed(string, time.Time) (bool, time.Time) { return true, time.Time{} }
func (openBudget) RecordRestart(string, time.Time) error              { return nil }
func (openBudget) RestartsInWindow(string, time.Time) int             { return 0 }

// TestProbeSpread runs 1000 kites for ten minutes of fake time at the
// default interval (60 s, jitter 0.1) and divides the number of probes
// started in the busiest second by the mean per second. The watchdog seeds
// its random phases itself, so the bench repeats this BENCH_SPREAD_RUNS
// (default 5) times and reports the median and the worst.
func TestProbeSpread(t *testing.T) {
	runs := envInt(t, "BENCH_SPREAD_RUNS", 5)
	var ratios []float64
	var last string
	for range runs {
		synctest.Test(t, func(t *testing.T) {
			r, detail := spreadOnce(t)
			ratios = append(ratios, r)
			last = detail
		})
	}
	if len(ratios) != runs {
		t.Fatalf("%d of %d runs measured", len(ratios), runs)
	}
	t.Logf("ratios %v; last run: %s", ratios, last)
	slices.Sort(ratios)
	worst := ratios[len(ratios)-1]
	emit(t, "probe-spread",
		"%s; over %d runs busiest/mean median %.2f max %.2f target <=2 %s",
		last, runs, median(ratios), worst, met(worst <= 2))
}

// spreadOnce runs the loop once inside a synctest bubble and returns the
// busiest-second-to-mean ratio and a description of the run.
func spreadOnce(t *testing.T) (float64, string) {
	const (
		kites    = 1000
		duration = 10 * time.Minute
	)
	s := &watchdog.Settings{
		Interval: 60 * time.Second,
		Jitter:   0.1,
		Timeout:  10 * time.Second,
		Policy:   fsm.Policy{FailureThreshold: 3, GracePeriod: 5 * time.Minute},
		Instances: []desk.Instance{{Name: "pagekite", Restarter: noRestarter{},
			Policy: desk.Policy{Cooldown: 10 * time.Minute, MaxCooldown: 6 * time.Hour}}},
	}
	for i := range kites {
		name := fmt.Sprintf("k%d.kite.test", i)
		s.Instances[0].Targets = append(s.Instances[0].Targets, probe.Target{Name: name, Kind: probe.KindHTTP, URL: "http://" + name + "/"})
	}
	p := &slowProber{took: 1100 * time.Millisecond}
	origin := time.Now()
	clocks := func() (boot, mono time.Duration) {
		mono = time.Since(origin) + 24*time.Hour // booted long ago, never slept
		return mono, mono
	}
	w := watchdog.New(zap.NewNop(), s, watchdog.Deps{
		Prober: p, Budget: openBudget{},
		Clocks: clocks, Concurrency: 64, Version: "bench",
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() { done <- w.Run(ctx, func() { close(ready) }) }()
	<-ready
	time.Sleep(duration)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run() = %v", err)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	perSecond := make(map[int64]int)
	for _, at := range p.starts {
		if at.Sub(origin) < duration {
			perSecond[int64(at.Sub(origin)/time.Second)]++
		}
	}
	total := 0
	most := 0
	for _, n := range perSecond {
		total += n
		most = max(most, n)
	}
	want := kites * int(duration/s.Interval)
	if total < want*9/10 {
		t.Fatalf("%d probes in %v, want about %d", total, duration, want)
	}
	mean := float64(total) / duration.Seconds()
	return float64(most) / mean, fmt.Sprintf("%d kites, %v of fake time, interval %v jitter %g, probes taking %v, concurrency 64: %d probes, mean %.1f/s, busiest second %d",
		kites, duration, s.Interval, s.Jitter, p.took, total, mean, most)
}
