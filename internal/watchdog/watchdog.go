package watchdog

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/sdnotify"
)

// Deps are the watchdog's collaborators. Prober and Budget are required;
// the rest may be nil.
type Deps struct {
	Prober Prober
	// Budget is the restart budget, per instance: the desk records
	// restarts in it; the kite loops only read it for the status.
	Budget   desk.Budget
	Reporter desk.Reporter
	Observer Observer
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
	// flushDelay is how soon a significant change reaches the status file
	// (flushAfter: later with more than 1000 kites).
	flushDelay = time.Second
)

// Watchdog runs one loop per kite and the restart desk. Create it with
// New, then call Run once.
type Watchdog struct {
	log      *zap.Logger
	deps     Deps
	desk     *desk.Desk
	started  time.Time
	sem      chan struct{}
	settings atomic.Pointer[Settings]
	updates  chan kiteUpdate
	reloads  chan reloadRequest
	// deskChanged says that the desk's instances changed (capacity 1).
	deskChanged chan struct{}
	seed        atomic.Uint64
	// cal books every kite's next probe (schedule.go).
	cal *calendar
	// queuedWarned is when (Unix ns) warnQueued last logged.
	queuedWarned atomic.Int64
	// logWarned holds the PageKite logs warnLog has warned about.
	logWarned sync.Map

	// configErr is the last rejected config reload; only the main loop
	// touches it.
	configErr string
	// statusErr is why the status file was last not written, "" once it
	// is: warned about once, not at every write; only the main loop
	// touches it.
	statusErr string

	mu sync.Mutex // guards kites
	// kites are the running kite loops, by name.
	kites map[string]*kiteRunner
}

// kiteRunner is the main loop's handle on one kite loop.
type kiteRunner struct {
	target   probe.Target
	instance string
	mailbox  *desk.Mailbox
	evidence *evidence
	loop     *kiteLoop
	cancel   context.CancelFunc
	done     chan struct{}
}

// stop ends the kite's loop: its context, then a kick so that an idle
// loop notices (a loop holds no watch on its context: one AfterFunc per
// kite cost ~300 bytes each).
func (k *kiteRunner) stop() {
	k.cancel()
	k.loop.kick(nil)
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
		log:         log,
		deps:        deps,
		started:     time.Now(),
		sem:         make(chan struct{}, deps.Concurrency),
		cal:         newCalendar(),
		updates:     make(chan kiteUpdate, 64),
		reloads:     make(chan reloadRequest),
		deskChanged: make(chan struct{}, 1),
		kites:       make(map[string]*kiteRunner),
	}
	dd := desk.Deps{
		Budget:   deps.Budget,
		Reporter: deps.Reporter,
		Observer: deps.Observer,
		Evidence: w.evidenceOf,
		Uptime:   func() time.Duration { boot, _ := w.deps.Clocks(); return boot },
		Monitor:  deps.Monitor,
		Changed: func() {
			select {
			case w.deskChanged <- struct{}{}:
			default:
			}
		},
	}
	w.desk = desk.New(log.Named("desk"), dd)
	w.seed.Store(rand.Uint64())
	w.settings.Store(s)
	return w
}

// Reload applies new settings: kites whose target and instance are
// unchanged keep their state and pick up the new policy; new kites start;
// removed ones stop; the desk takes the new instances. configErr is the
// reason a config reload was rejected ("" when s is the config on disk);
// it shows in the status file and the STATUS= line. Reload returns once
// the change is applied, or when ctx or the watchdog ends.
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

// Run starts the desk and every kite loop and runs until ctx ends, then
// stops them all (within a few seconds: in-flight work is abandoned) and
// writes the final status. ready, if not nil, is called once every kite
// is scheduled.
func (w *Watchdog) Run(ctx context.Context, ready func()) error {
	loopCtx, cancelLoops := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelLoops()

	beat := w.deps.Monitor.Register("main")
	defer beat.Done()

	board := newBoard()
	w.apply(loopCtx, board, w.settings.Load())
	var deskDone sync.WaitGroup
	deskDone.Go(func() { w.desk.Run(loopCtx) })
	defer deskDone.Wait()
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
			flush = time.After(flushAfter(len(board.kites)))
		}
		select {
		case <-ctx.Done():
			w.stop(board)
			cancelLoops()
			return nil
		case u := <-w.updates:
			board.update(u)
		case <-w.deskChanged:
			board.dirty = true
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

// kiteSeed gives each kite loop its own random source.
func (w *Watchdog) kiteSeed() *rand.Rand {
	s := w.seed.Add(0x9e3779b97f4a7c15)
	return rand.New(rand.NewPCG(s, s^0xda3e39cb94b95bdb))
}

// evidenceOf is what kite's loop knows, for the desk's crash report.
func (w *Watchdog) evidenceOf(kite string) (desk.KiteEvidence, bool) {
	w.mu.Lock()
	k, ok := w.kites[kite]
	w.mu.Unlock()
	if !ok {
		return desk.KiteEvidence{}, false
	}
	return k.evidence.snapshot(kite), true
}
