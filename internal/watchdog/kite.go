package watchdog

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/pklog"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
	"github.com/pagekite/pkwatchdogd/internal/sdnotify"
)

// kiteLoop owns one kite's state machine. It holds no goroutine while
// idle: a timer, the desk's mailbox, a sleep (rebaseline) or the end of
// its context kicks it, and its work then runs on a goroutine of its own
// until nothing is left to do. At most one such goroutine runs at a time,
// so the fields outside mu are touched by one goroutine at a time (each
// start and end of work goes through mu).
type kiteLoop struct {
	w        *Watchdog
	log      kiteLog
	target   probe.Target
	instance string
	m        *fsm.Machine
	rng      *rand.Rand
	mailbox  *desk.Mailbox
	evidence *evidence
	ctx      context.Context
	beat     *sdnotify.Loop
	done     chan struct{}
	// wake is when the timer fires; first, that no probe ran yet.
	wake  time.Time
	first bool

	// applied is the Settings whose policy the machine has.
	applied *Settings
	note    string
	// rejected is the reason the relay rejects the kite, "" when it
	// does not (or no longer does).
	rejected string
	// statusSaid is what statusEvidence last said ("stale", "flying"),
	// "" since the kite was last up.
	statusSaid string
	outcome    string
	restartAt  time.Time
	// prev and prevCount are what of the last status line published
	// matters.
	prev      significant
	prevCount int

	mu sync.Mutex // guards the fields below
	// timer fires the next probe (due).
	timer *time.Timer
	// due: the timer fired; rebased: the machine slept.
	due, rebased bool
	// running: a goroutine runs work; finished: the loop ended.
	running, finished bool
}

func (w *Watchdog) newKiteLoop(k *kiteRunner) *kiteLoop {
	s := w.settings.Load()
	return &kiteLoop{
		w:        w,
		log:      kiteLog{w.log, k.target.Name, k.instance},
		target:   k.target,
		instance: k.instance,
		m:        fsm.New(k.target.Name, s.Policy, time.Now()),
		rng:      w.kiteSeed(),
		mailbox:  k.mailbox,
		evidence: k.evidence,
		applied:  s,
	}
}

// start schedules the first probe and returns; done is closed once ctx
// ended and the last work finished. Whoever cancels ctx kicks the loop
// (kiteRunner.stop), so that an idle loop notices.
func (l *kiteLoop) start(ctx context.Context, done chan struct{}) {
	l.ctx, l.done = ctx, done
	l.beat = l.w.deps.Monitor.Register("kite " + l.target.Name)
	s := l.applied
	first := firstWindow(s.Interval, s.Timeout)
	now := time.Now()
	delay := l.w.cal.book(now, first, firstDelay(l.rng, first.hi), firstDelay(l.rng, first.hi))
	l.wake, l.first = now.Add(delay), true
	l.beat.Idle(now, l.wake)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timer = time.AfterFunc(delay, l.fired)
}

// fired is the timer's: it runs on a goroutine of its own, so the work
// runs right there rather than on yet another one.
func (l *kiteLoop) fired() {
	if l.claim(&l.due) {
		l.work()
	}
}

// kick sets flag (when not nil) and makes sure work runs.
func (l *kiteLoop) kick(flag *bool) {
	if l.claim(flag) {
		go l.work()
	}
}

// claim sets flag (when not nil) and reports whether the caller is to run
// work: none runs and the loop has not finished.
func (l *kiteLoop) claim(flag *bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if flag != nil {
		*flag = true
	}
	if l.running || l.finished {
		return false
	}
	l.running = true
	return true
}

// rebase tells the loop that the machine slept.
func (l *kiteLoop) rebase() { l.kick(&l.rebased) }

// answered tells the loop that the desk left an answer in its mailbox.
func (l *kiteLoop) answered() { l.kick(nil) }

// work does what is pending (the desk's answer, a rebaseline, a probe)
// until nothing is, or ctx ended. The look at what is pending and the
// decision to stop are taken under mu, as every kick is: nothing kicked
// in between is lost.
func (l *kiteLoop) work() {
	for {
		l.mu.Lock()
		ended := l.ctx.Err() != nil
		rebase, due := l.rebased, l.due
		l.rebased, l.due = false, false
		var a desk.Answer
		answer := false
		if !ended {
			select {
			case a = <-l.mailbox.C():
				answer = true
			default:
			}
		}
		if ended || !rebase && !due && !answer {
			l.running = false
			l.finished = ended
			l.mu.Unlock()
			if ended {
				l.finish()
			}
			return
		}
		l.mu.Unlock()

		if rebase {
			l.logStep(l.m.Rebaseline(time.Now()), "machine slept: evidence from before is stale")
			l.publish(l.ctx, true)
		}
		if answer {
			l.answer(a)
			// A hold moves the deadline; the next probe is scheduled up
			// to it (untilDecision), at most one interval after a short
			// hold.
			l.publish(l.ctx, false)
		}
		if due {
			l.probeDue()
		}
		l.beat.Idle(time.Now(), l.wake)
	}
}

// finish ends the loop: its timer, its liveness.
func (l *kiteLoop) finish() {
	l.mu.Lock()
	l.timer.Stop()
	l.mu.Unlock()
	l.beat.Done()
	close(l.done)
}

// probeDue probes the kite, feeds the result to the machine and sets the
// timer for the next probe.
func (l *kiteLoop) probeDue() {
	// The pace runs from when the probe was due, not from when it ended:
	// a kite is probed every interval ± jitter, however long the relay
	// takes to answer.
	fired := time.Now()
	s := l.w.settings.Load()
	if s != l.applied {
		l.m.SetPolicy(s.Policy)
		l.applied = s
	}
	// Waiting for a probe slot is a legitimate wait, bounded by how many
	// probes are queued ahead of this one.
	slots := cap(l.w.sem)
	queued := time.Duration(s.Kites()/slots+1) * (probeBound(s) + time.Second)
	l.beat.Idle(time.Now(), time.Now().Add(queued))
	res, ok := l.probe(l.ctx)
	if !ok {
		return // ctx ended: work finishes the loop
	}
	l.beat.Busy(time.Now())
	l.observe(l.ctx, res)

	if l.first && wedged(l.target.Name) {
		l.log.Warn("test hook: kite loop wedged", zap.String("hook", wedgeEnv))
		<-l.ctx.Done()
		return
	}
	l.first = false

	now := time.Now()
	pace := l.w.cal.book(fired, paceWindow(s.Interval, s.Jitter), nextDelay(l.rng, s.Interval, s.Jitter), nextDelay(l.rng, s.Interval, s.Jitter))
	next := max(fired.Add(pace).Sub(now), 0)
	delay := untilDecision(next, now, l.m.Deadline())
	l.wake = now.Add(delay)
	l.mu.Lock()
	l.timer.Reset(delay)
	l.mu.Unlock()
}

// probeBound is the longest a probe may take: two requests (the kite's and
// the relay ping), each within the timeout.
func probeBound(s *Settings) time.Duration { return 2 * s.Timeout }

// probe runs one probe under the shared concurrency limit. ok is false when
// ctx ended first.
func (l *kiteLoop) probe(ctx context.Context) (probe.Result, bool) {
	asked := time.Now()
	select {
	case l.w.sem <- struct{}{}:
	case <-ctx.Done():
		return probe.Result{}, false
	}
	if waited := time.Since(asked); waited > l.applied.Interval/4 {
		l.w.warnQueued(waited, l.applied)
	}
	res := l.w.deps.Prober.Probe(ctx, l.target)
	<-l.w.sem
	if ctx.Err() != nil {
		return res, false
	}
	return res, true
}

// warnLog says once per log that it cannot be read to tell rejected kites
// apart (a missing file, no journalctl), or, once, that it or the status
// file is not trusted, and logs later errors at debug.
func (w *Watchdog) warnLog(src *pklog.Source, err error) {
	untrusted := errors.Is(err, safefile.ErrUntrustedFile)
	key := src.Name()
	if untrusted {
		key += " untrusted"
	}
	if _, said := w.logWarned.LoadOrStore(key, true); said {
		w.log.Debug("cannot read PageKite's log", zap.String("log", src.Name()), zap.Error(err))
		return
	}
	if untrusted {
		w.log.Warn("PageKite's status file or log not trusted: ignored for verdicts",
			zap.String("log", src.Name()), zap.String("status_file", src.StatusFile), zap.Error(err))
		return
	}
	w.log.Warn("cannot read PageKite's log: a kite the relay rejects will look like a PageKite to restart",
		zap.String("log", src.Name()), zap.Error(err))
}

// queuedWarnEvery is how often at most the watchdog says that probes wait
// for a free slot.
const queuedWarnEvery = 10 * time.Minute

// warnQueued says, at most once per queuedWarnEvery, that a probe waited
// waited for one of the probe.concurrency slots: kites are then probed
// later than their interval says, and probe.concurrency is too low for
// this many kites.
func (w *Watchdog) warnQueued(waited time.Duration, s *Settings) {
	now := time.Now().UnixNano()
	last := w.queuedWarned.Load()
	if last != 0 && now-last < int64(queuedWarnEvery) || !w.queuedWarned.CompareAndSwap(last, now) {
		return
	}
	w.log.Warn("probes wait for a free slot: raise probe.concurrency",
		zap.Duration("waited", waited), zap.Int("concurrency", cap(w.sem)), zap.Int("kites", s.Kites()),
		zap.Duration("interval", s.Interval))
}
