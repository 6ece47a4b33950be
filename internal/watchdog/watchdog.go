package watchdog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/sdnotify"
	"github.com/pagekite/pkwatchdogd/internal/status"
)

// Deps are the watchdog's collaborators. Prober, Restarter and Budget are
// required; the rest may be nil.
type Deps struct {
	Prober    Prober
	Restarter Restarter
	Budget    Budget
	Reporter  Reporter
	Observer  Observer
	// Monitor learns of every loop's progress; the systemd watchdog pings
	// only while all of them are alive.
	Monitor *sdnotify.Monitor
	// Notify receives the one-line summary for sd_notify STATUS=.
	Notify func(line string)
	// Clocks reads CLOCK_BOOTTIME and CLOCK_MONOTONIC; nil means the
	// kernel's (SystemClocks).
	Clocks Clocks
	// Concurrency caps the probes running at once over all kites.
	Concurrency int
	// Version goes into the status file.
	Version string
	// WedgeKite is a test hook: that kite's loop blocks forever after its
	// first probe, so that the systemd watchdog test can see pings stop.
	WedgeKite string
}

// Periods of the main loop.
const (
	// tick is how often the main loop checks for a sleep, writes a changed
	// status and proves itself alive.
	tick = 5 * time.Second
	// statusRefresh is the longest time between two status file writes.
	statusRefresh = time.Minute
	// sleepThreshold is how much more CLOCK_BOOTTIME may advance than
	// CLOCK_MONOTONIC before the machine is taken to have slept.
	sleepThreshold = 30 * time.Second
	// stopTimeout bounds the orderly stop.
	stopTimeout = 5 * time.Second
	// flushDelay is how soon a significant change reaches the status file.
	flushDelay = time.Second
)

// Watchdog runs one loop per kite. Create it with New, then call Run once.
type Watchdog struct {
	log      *zap.Logger
	deps     Deps
	started  time.Time
	sem      chan struct{}
	settings atomic.Pointer[Settings]
	updates  chan kiteUpdate
	reloads  chan reloadRequest
	seed     atomic.Uint64
	// cal books every kite's next probe (schedule.go).
	cal *calendar
	// queuedWarned is when (Unix ns) warnQueued last logged.
	queuedWarned atomic.Int64

	// configErr is the last rejected config reload; only the main loop
	// touches it.
	configErr string

	mu sync.Mutex // guards kites
	// kites are the running kite loops, by name.
	kites map[string]*kiteRunner
}

// kiteRunner is the main loop's handle on one kite loop.
type kiteRunner struct {
	target probe.Target
	cancel context.CancelFunc
	done   chan struct{}
	rebase chan struct{}
}

type reloadRequest struct {
	settings  *Settings
	configErr string
	done      chan struct{}
}

// New returns a watchdog over s. It starts nothing until Run.
func New(log *zap.Logger, s *Settings, deps Deps) *Watchdog {
	if deps.Clocks == nil {
		deps.Clocks = SystemClocks
	}
	if deps.Concurrency < 1 {
		deps.Concurrency = 1
	}
	if deps.Monitor == nil {
		deps.Monitor = sdnotify.NewMonitor(0)
	}
	w := &Watchdog{
		log:     log,
		deps:    deps,
		started: time.Now(),
		sem:     make(chan struct{}, deps.Concurrency),
		cal:     newCalendar(),
		updates: make(chan kiteUpdate, 64),
		reloads: make(chan reloadRequest),
		kites:   make(map[string]*kiteRunner),
	}
	w.seed.Store(rand.Uint64())
	w.settings.Store(s)
	return w
}

// Reload applies new settings: kites whose target is unchanged keep their
// state and pick up the new policy; new kites start; removed ones stop.
// configErr is the reason a config reload was rejected ("" when s is the
// config on disk); it shows in the status file and the STATUS= line. Reload
// returns once the change is applied, or when ctx or the watchdog ends.
func (w *Watchdog) Reload(ctx context.Context, s *Settings, configErr string) {
	req := reloadRequest{settings: s, configErr: configErr, done: make(chan struct{})}
	select {
	case w.reloads <- req:
	case <-ctx.Done():
		return
	}
	select {
	case <-req.done:
	case <-ctx.Done():
	}
}

// Settings returns the settings in force.
func (w *Watchdog) Settings() *Settings { return w.settings.Load() }

// Run starts every kite loop and runs until ctx ends, then stops them all
// (within a few seconds: in-flight work is abandoned) and writes the final
// status. ready, if not nil, is called once every kite is scheduled.
func (w *Watchdog) Run(ctx context.Context, ready func()) error {
	loopCtx, cancelLoops := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelLoops()

	beat := w.deps.Monitor.Register("main")
	defer beat.Done()

	board := newBoard()
	w.apply(loopCtx, board, w.settings.Load())
	w.publish(board, true)
	if ready != nil {
		ready()
	}

	sleep := newSleepDetector(w.deps.Clocks, sleepThreshold)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	lastWrite := time.Now()
	// flush, when not nil, fires once a second after a significant change:
	// the status file follows changes promptly without being rewritten for
	// every one of many kites.
	var flush <-chan time.Time
	for {
		now := time.Now()
		beat.Idle(now, now.Add(tick))
		if board.dirty && flush == nil {
			flush = time.After(flushDelay)
		}
		select {
		case <-ctx.Done():
			w.stop(board)
			return nil
		case u := <-w.updates:
			board.update(u)
		case req := <-w.reloads:
			w.settings.Store(req.settings)
			w.configErr = req.configErr
			w.apply(loopCtx, board, req.settings)
			board.dirty = true
			close(req.done)
		case <-flush:
			flush = nil
			w.publish(board, false)
			lastWrite = time.Now()
		case <-ticker.C:
			if slept, ok := sleep.check(); ok {
				w.log.Info("machine slept, re-baselining kites", zap.Duration("slept", slept))
				w.rebaseline()
			}
			if time.Since(lastWrite) >= statusRefresh {
				w.publish(board, true)
				lastWrite = time.Now()
			}
		}
	}
}

// apply starts and stops kite loops so that they match s.Targets.
func (w *Watchdog) apply(ctx context.Context, board *board, s *Settings) {
	want := make(map[string]probe.Target, len(s.Targets))
	for _, t := range s.Targets {
		want[t.Name] = t
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, k := range w.kites {
		if t, ok := want[name]; ok && reflect.DeepEqual(t, k.target) {
			continue
		}
		k.cancel()
		<-k.done
		delete(w.kites, name)
		board.remove(name)
		w.log.Info("kite no longer watched", zap.String("kite", name))
	}
	for _, t := range s.Targets {
		if _, ok := w.kites[t.Name]; ok {
			continue
		}
		kctx, cancel := context.WithCancel(ctx)
		k := &kiteRunner{target: t, cancel: cancel, done: make(chan struct{}), rebase: make(chan struct{}, 1)}
		w.kites[t.Name] = k
		loop := w.newKiteLoop(t, k.rebase)
		board.set(loop.snapshot(time.Now(), s))
		go func() {
			defer close(k.done)
			loop.run(kctx)
		}()
	}
}

// rebaseline tells every kite loop that the machine slept.
func (w *Watchdog) rebaseline() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range w.kites {
		select {
		case k.rebase <- struct{}{}:
		default:
		}
	}
}

// stop ends every kite loop, waiting at most stopTimeout, drains their last
// updates and writes the final status.
func (w *Watchdog) stop(board *board) {
	w.mu.Lock()
	runners := make([]*kiteRunner, 0, len(w.kites))
	for _, k := range w.kites {
		k.cancel()
		runners = append(runners, k)
	}
	w.mu.Unlock()
	deadline := time.NewTimer(stopTimeout)
	defer deadline.Stop()
	for _, k := range runners {
	wait:
		for {
			select {
			case <-k.done:
				break wait
			case u := <-w.updates:
				board.update(u)
			case <-deadline.C:
				w.log.Warn("kite loops did not stop in time", zap.Duration("timeout", stopTimeout))
				w.publish(board, true)
				return
			}
		}
	}
	for {
		select {
		case u := <-w.updates:
			board.update(u)
		default:
			w.publish(board, true)
			return
		}
	}
}

// publish writes the status file and the STATUS= line when something
// changed (or when forced).
func (w *Watchdog) publish(board *board, force bool) {
	if !board.dirty && !force {
		return
	}
	board.dirty = false
	s := w.settings.Load()
	if s.StatusFile == "" && w.deps.Notify == nil {
		return // nobody reads it
	}
	f := &status.File{
		Updated:     status.FormatTime(time.Now()),
		PID:         os.Getpid(),
		Version:     w.deps.Version,
		Started:     status.FormatTime(w.started),
		DryRun:      s.DryRun,
		ConfigError: w.configErr,
	}
	var lines [][]byte
	f.Kites, lines = board.list()
	if s.StatusFile != "" {
		if err := status.Write(s.StatusFile, f, lines); err != nil {
			w.log.Warn("status file not written", zap.Error(err))
		}
	}
	if w.deps.Notify != nil {
		w.deps.Notify(summary(f, time.Now()))
	}
}

// kiteSeed gives each kite loop its own random source.
func (w *Watchdog) kiteSeed() *rand.Rand {
	s := w.seed.Add(0x9e3779b97f4a7c15)
	return rand.New(rand.NewPCG(s, s^0xda3e39cb94b95bdb))
}

// errString is err's message, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprint(err)
}
