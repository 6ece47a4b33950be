package faults

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/report"
)

// The stand-ins below replace the prober and the restarter only where fake
// time needs them (testing/synctest cannot drive real sockets and
// processes). The network scenarios feed them results that the real prober
// produced over real sockets; the process and collector scenarios use the
// real restarter and uploader in real time.

// scriptProber answers each probe of a kite from script, given the kite's
// probe number (0-based) and whether the kite was restarted since its fault
// began. Each probe takes `took` of (fake) time.
type scriptProber struct {
	took   time.Duration
	script func(kite string, n int, restarted bool, now time.Time) probe.Result

	mu sync.Mutex // guards the fields below
	// probes counts probes per kite; restarted marks kites restarted.
	probes    map[string]int
	restarted map[string]bool
}

func newScriptProber(took time.Duration, script func(kite string, n int, restarted bool, now time.Time) probe.Result) *scriptProber {
	return &scriptProber{took: took, script: script, probes: map[string]int{}, restarted: map[string]bool{}}
}

// verdicts adapts a verdict-only script.
func verdicts(f func(kite string, n int, restarted bool) probe.Verdict) func(string, int, bool, time.Time) probe.Result {
	return func(kite string, n int, restarted bool, now time.Time) probe.Result {
		v := f(kite, n, restarted)
		return probe.Result{Kite: kite, Verdict: v, Detail: "scripted " + string(v), Start: now}
	}
}

func (p *scriptProber) Probe(ctx context.Context, t probe.Target) probe.Result {
	start := time.Now()
	p.mu.Lock()
	n := p.probes[t.Name]
	p.probes[t.Name] = n + 1
	restarted := p.restarted[t.Name]
	p.mu.Unlock()
	if p.took > 0 {
		timer := time.NewTimer(p.took)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
		}
	}
	r := p.script(t.Name, n, restarted, start)
	r.Kite, r.Start, r.Duration = t.Name, start, time.Since(start)
	return r
}

// markRestarted tells the script that kite was restarted.
func (p *scriptProber) markRestarted(kite string) {
	p.mu.Lock()
	p.restarted[kite] = true
	p.mu.Unlock()
}

func (p *scriptProber) count(kite string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.probes[kite]
}

// fakeRestarter records restarts and reports them to onRestart; the
// PageKite process it finds started long ago.
type fakeRestarter struct {
	onRestart func(kite string)

	mu sync.Mutex // guards restarts
	// restarts are the restart times per kite.
	restarts map[string][]time.Time
}

func newFakeRestarter(onRestart func(string)) *fakeRestarter {
	return &fakeRestarter{onRestart: onRestart, restarts: map[string][]time.Time{}}
}

func (r *fakeRestarter) Find(context.Context) (action.Process, error) {
	return action.Process{PID: 4242, Started: time.Now().Add(-24 * time.Hour)}, nil
}

func (r *fakeRestarter) RestartFound(_ context.Context, kite string, _ *action.Process) action.Result {
	now := time.Now()
	r.mu.Lock()
	r.restarts[kite] = append(r.restarts[kite], now)
	r.mu.Unlock()
	if r.onRestart != nil {
		r.onRestart(kite)
	}
	return action.Result{Method: action.MethodSignal, Outcome: action.OutcomeRestarted, PID: 4242, NewPID: 4243, Signal: "SIGSEGV", Started: now}
}

func (r *fakeRestarter) times(kite string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.restarts[kite]...)
}

func (r *fakeRestarter) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ts := range r.restarts {
		n += len(ts)
	}
	return n
}

// limiter is the upload half of the real ratelimit.Store.
type limiter interface {
	AllowUpload(now time.Time) (ok bool, next time.Time, reason string)
	RecordUploadAttempt(now time.Time, accepted bool) error
}

// countingReporter stands in for the report queue and uploader under fake
// time: it asks the real upload limiter, as the uploader does, and counts
// the reports that a collector accepting everything would have received.
// The real queue, builder and uploader run in the collector scenarios.
type countingReporter struct {
	lim limiter

	mu sync.Mutex // guards the fields below
	// reports were handed over; uploads went through the limiter.
	reports, uploads int
}

func (c *countingReporter) Report(in report.Input) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reports++
	if ok, _, _ := c.lim.AllowUpload(now); ok {
		_ = c.lim.RecordUploadAttempt(now, true) // an error only means not persisted
		c.uploads++
	}
}

func (c *countingReporter) counts() (reports, uploads int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reports, c.uploads
}

// fakeClocks says the machine booted long ago and slept only when told.
type fakeClocks struct {
	origin time.Time

	mu    sync.Mutex // guards slept
	slept time.Duration
}

func newFakeClocks() *fakeClocks { return &fakeClocks{origin: time.Now()} }

func (c *fakeClocks) read() (boot, mono time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	mono = time.Since(c.origin) + 24*time.Hour
	return mono + c.slept, mono
}

// sleep makes the machine look as if it had been suspended for d.
func (c *fakeClocks) sleep(d time.Duration) {
	c.mu.Lock()
	c.slept += d
	c.mu.Unlock()
}

// steppedBudget hands the real budget a wall clock that the test steps back
// and forth. It strips the monotonic reading, so that the budget compares
// wall times only, as it does for times loaded from its file.
type steppedBudget struct {
	inner  desk.Budget
	offset atomic.Int64
}

func (b *steppedBudget) wall(now time.Time) time.Time {
	return now.Round(0).Add(time.Duration(b.offset.Load()))
}

func (b *steppedBudget) step(d time.Duration) { b.offset.Add(int64(d)) }

func (b *steppedBudget) RestartAllowed(kite string, now time.Time) (bool, time.Time) {
	ok, free := b.inner.RestartAllowed(kite, b.wall(now))
	// Carry freeAt back to the loop's clock.
	return ok, free.Add(-time.Duration(b.offset.Load()))
}

func (b *steppedBudget) RecordRestart(kite string, now time.Time) error {
	return b.inner.RecordRestart(kite, b.wall(now))
}

func (b *steppedBudget) RestartsInWindow(kite string, now time.Time) int {
	return b.inner.RestartsInWindow(kite, b.wall(now))
}

// stepLog records the state changes of every kite.
type stepLog struct {
	mu sync.Mutex // guards the fields below
	// steps per kite, with the time they happened.
	steps    map[string][]fsm.Step
	at       map[string][]time.Time
	restarts []action.Result
}

func newStepLog() *stepLog {
	return &stepLog{steps: map[string][]fsm.Step{}, at: map[string][]time.Time{}}
}

func (l *stepLog) Probed(string, probe.Result) {}

func (l *stepLog) Changed(kite string, s fsm.Step) {
	l.mu.Lock()
	l.steps[kite] = append(l.steps[kite], s)
	l.at[kite] = append(l.at[kite], time.Now())
	l.mu.Unlock()
}

func (l *stepLog) Restarted(_ string, r action.Result) {
	l.mu.Lock()
	l.restarts = append(l.restarts, r)
	l.mu.Unlock()
}

func (l *stepLog) Suppressed(string, string) {}
func (l *stepLog) Forget(string)             {}

// entered returns the times kite entered state s.
func (l *stepLog) entered(kite string, s fsm.State) []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []time.Time
	for i, st := range l.steps[kite] {
		if st.To == s {
			out = append(out, l.at[kite][i])
		}
	}
	return out
}

func (l *stepLog) results() []action.Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]action.Result(nil), l.restarts...)
}

// RaiseLogLevel does nothing: the fake is no pagekitec.
func (r *fakeRestarter) RaiseLogLevel(context.Context) error { return nil }
