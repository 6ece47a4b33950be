package sdnotify

import (
	"sort"
	"sync"
	"time"
)

// DefaultMaxBusy is the busy limit of NewMonitor(0).
const DefaultMaxBusy = 5 * time.Minute

// Slack is how long past its promised wake-up an idle loop may stay idle
// before it counts as stale: a timer that fired, then a wait for a
// concurrency slot or the scheduler.
const Slack = 15 * time.Second

// Monitor tracks the daemon's long-running loops, so that the systemd
// watchdog is pinged only while every one of them makes progress. It is
// safe for concurrent use.
type Monitor struct {
	maxBusy time.Duration

	mu sync.Mutex // guards loops and every Loop's state
	// loops are the registered loops that have not called Done.
	loops map[*Loop]struct{}
}

// NewMonitor returns a Monitor that calls a loop stale once it has been
// busy for longer than maxBusy (DefaultMaxBusy when maxBusy ≤ 0). Choose
// maxBusy above the longest legitimate piece of work, such as a restart of
// PageKite (kill timeout + respawn timeout + probes).
func NewMonitor(maxBusy time.Duration) *Monitor {
	if maxBusy <= 0 {
		maxBusy = DefaultMaxBusy
	}
	return &Monitor{maxBusy: maxBusy, loops: make(map[*Loop]struct{})}
}

// Loop is one registered loop; it reports to its Monitor with Busy, Idle
// and Done. Its methods are safe for concurrent use.
type Loop struct {
	m    *Monitor
	name string

	// Guarded by m.mu.
	reported bool      // Busy or Idle was called at least once
	busy     bool      // working (true) or waiting (false)
	since    time.Time // when it became busy; or first seen by Alive, before any report
	wakeBy   time.Time // when idle: the promised wake-up; zero for none
}

// Register adds a loop called name (names need not be unique). Until its
// first Busy or Idle, the loop counts as busy since the first Alive call
// that sees it, so a loop that wedges before reporting is caught too.
func (m *Monitor) Register(name string) *Loop {
	l := &Loop{m: m, name: name}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loops[l] = struct{}{}
	return l
}

// Busy reports that the loop started working at now.
func (l *Loop) Busy(now time.Time) {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	l.reported, l.busy, l.since, l.wakeBy = true, true, now, time.Time{}
}

// Idle reports that the loop is waiting at now and promises to wake up by
// wakeBy. A zero wakeBy promises nothing: the loop waits for an event that
// may never come, and never counts as stale while idle.
func (l *Loop) Idle(now, wakeBy time.Time) {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	l.reported, l.busy, l.since, l.wakeBy = true, false, now, wakeBy
}

// Done removes the loop from its Monitor: it has ended.
func (l *Loop) Done() {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	delete(l.m.loops, l)
}

// Alive reports whether every loop makes progress at now. Otherwise it also
// returns the names of the stale loops, sorted: those busy for longer than
// the busy limit, and those idle for longer than Slack past their promised
// wake-up.
//
// Results: (true, nil): all loops are fine, or there are none; (false,
// names): at least one loop is stale.
func (m *Monitor) Alive(now time.Time) (bool, []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var stale []string
	for l := range m.loops {
		if l.staleLocked(now, m.maxBusy) {
			stale = append(stale, l.name)
		}
	}
	sort.Strings(stale)
	return len(stale) == 0, stale
}

// staleLocked reports whether l is stale at now; the caller holds l.m.mu.
func (l *Loop) staleLocked(now time.Time, maxBusy time.Duration) bool {
	if !l.reported {
		if l.since.IsZero() {
			l.since = now
		}
		return now.Sub(l.since) > maxBusy
	}
	if l.busy {
		return now.Sub(l.since) > maxBusy
	}
	return !l.wakeBy.IsZero() && now.Sub(l.wakeBy) > Slack
}
