package desk

import (
	"sync"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/ratelimit"
)

// dryBudget is the budget of dry-run instances: the real budget's
// restarts plus the would-be restarts of the dry run, which are counted
// here, in memory, and never persisted into the real one. A dry run thus
// previews the suppressions a real run would see. It needs the real
// budget's limits (Limits, as ratelimit.Store has); without them it is
// the real budget, read only.
type dryBudget struct {
	real Budget

	mu sync.Mutex // guards would
	// would are the would-be restarts of each instance.
	would map[string]*ratelimit.Window
}

// limited is a Budget that says its limits.
type limited interface {
	Limits() (restartMax int, restartWindow time.Duration)
}

func newDryBudget(real Budget) *dryBudget {
	return &dryBudget{real: real, would: map[string]*ratelimit.Window{}}
}

// window is instance's would-be restarts, with the real limits (set again
// at each call); nil when they are not known. Caller holds b.mu.
func (b *dryBudget) window(instance string) *ratelimit.Window {
	l, ok := b.real.(limited)
	if !ok {
		return nil
	}
	w := b.would[instance]
	if w == nil {
		w = &ratelimit.Window{}
		b.would[instance] = w
	}
	w.Max, w.Period = l.Limits()
	return w
}

// RestartAllowed is the real budget's answer, with the would-be restarts
// counted too.
func (b *dryBudget) RestartAllowed(instance string, now time.Time) (bool, time.Time) {
	ok, free := b.real.RestartAllowed(instance, now)
	if !ok {
		return ok, free
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.window(instance)
	if w == nil {
		return true, now
	}
	// What the real restarts leave of the budget (at least one: the
	// real budget allows a restart) is the dry run's.
	w.Max -= b.real.RestartsInWindow(instance, now)
	if w.Allow(now) {
		return true, now
	}
	return false, w.NextAllowed(now)
}

// RecordRestart counts a would-be restart; the real budget is not touched.
func (b *dryBudget) RecordRestart(instance string, now time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if w := b.window(instance); w != nil {
		w.Record(now)
	}
	return nil
}

// RestartsInWindow counts the real restarts and the would-be ones.
func (b *dryBudget) RestartsInWindow(instance string, now time.Time) int {
	n := b.real.RestartsInWindow(instance, now)
	b.mu.Lock()
	defer b.mu.Unlock()
	if w := b.window(instance); w != nil {
		n += w.Count(now)
	}
	return n
}
