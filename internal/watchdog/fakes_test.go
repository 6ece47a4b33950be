package watchdog

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/ratelimit"
)

// The loop tests run under testing/synctest with these stand-ins for the
// prober and the restarter: fake time cannot drive real sockets and
// processes. The real ones are tested against real pagekite processes in
// internal/probe and internal/action, and end to end in integration_test.go.

// fakeProber answers each probe by calling verdict with the fake time, after
// taking `took` of fake time, and records what it saw.
type fakeProber struct {
	verdict func(kite string, now time.Time) probe.Verdict
	took    time.Duration

	mu sync.Mutex // guards the fields below
	// starts are the probe start times per kite.
	starts      map[string][]time.Time
	inflight    map[string]int
	total       int
	maxTotal    int
	overlapping bool
}

func newFakeProber(took time.Duration, verdict func(string, time.Time) probe.Verdict) *fakeProber {
	return &fakeProber{verdict: verdict, took: took, starts: map[string][]time.Time{}, inflight: map[string]int{}}
}

func (p *fakeProber) Probe(ctx context.Context, t probe.Target) probe.Result {
	start := time.Now()
	p.mu.Lock()
	p.starts[t.Name] = append(p.starts[t.Name], start)
	p.inflight[t.Name]++
	if p.inflight[t.Name] > 1 {
		p.overlapping = true
	}
	p.total++
	p.maxTotal = max(p.maxTotal, p.total)
	p.mu.Unlock()

	timer := time.NewTimer(p.took)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}

	p.mu.Lock()
	p.inflight[t.Name]--
	p.total--
	verdict := p.verdict
	p.mu.Unlock()
	v := verdict(t.Name, start)
	return probe.Result{Kite: t.Name, Verdict: v, Detail: "fake " + string(v), Start: start, Duration: time.Since(start)}
}

func (p *fakeProber) probeStarts(kite string) []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.starts[kite]...)
}

// fakeRestarter records restarts; the "process" it finds started at
// processStart.
type fakeRestarter struct {
	mu           sync.Mutex // guards the fields below
	processStart time.Time
	restarts     []time.Time
	onRestart    func(now time.Time)
	outcome      string
	raises       int
}

func (r *fakeRestarter) Find(context.Context) (action.Process, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return action.Process{PID: 4242, Started: r.processStart}, nil
}

func (r *fakeRestarter) RestartFound(ctx context.Context, kite string, _ *action.Process) action.Result {
	now := time.Now()
	r.mu.Lock()
	r.restarts = append(r.restarts, now)
	r.processStart = now
	cb, outcome := r.onRestart, r.outcome
	r.mu.Unlock()
	if outcome == "" {
		outcome = action.OutcomeRestarted
	}
	if cb != nil {
		cb(now)
	}
	return action.Result{Outcome: outcome, PID: 4242, NewPID: 4243, Signal: "SIGSEGV", Started: now}
}

func (r *fakeRestarter) restartTimes() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.restarts...)
}

// fakeClocks says the machine booted long ago and never slept, unless told.
type fakeClocks struct {
	mu     sync.Mutex // guards slept
	slept  time.Duration
	origin time.Time
}

func newFakeClocks() *fakeClocks { return &fakeClocks{origin: time.Now()} }

func (c *fakeClocks) read() (boot, mono time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	mono = time.Since(c.origin) + 24*time.Hour
	return mono + c.slept, mono
}

func (c *fakeClocks) sleep(d time.Duration) {
	c.mu.Lock()
	c.slept += d
	c.mu.Unlock()
}

// newBudget is the real, persisted restart budget in a temporary dir.
func newBudget(t *testing.T, max int, window time.Duration) *ratelimit.Store {
	t.Helper()
	s, warning, err := ratelimit.Open(filepath.Join(t.TempDir(), "ratelimit.json"), max, window, 168*time.Hour, time.Hour, time.Now())
	if err != nil || warning != nil {
		t.Fatalf("ratelimit.Open() = %v, %v", warning, err)
	}
	return s
}

// RaiseLogLevel counts the asks for more logging.
func (r *fakeRestarter) RaiseLogLevel(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.raises++
	return nil
}

func (r *fakeRestarter) raiseCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.raises
}
