package watchdog

import (
	"context"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/pklog"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/status"
)

// kiteLoop owns one kite's state machine. Only its own goroutine (run)
// touches its fields.
type kiteLoop struct {
	w        *Watchdog
	log      *zap.Logger
	target   probe.Target
	instance string
	m        *fsm.Machine
	rng      *rand.Rand
	rebase   <-chan struct{}
	mailbox  *desk.Mailbox
	evidence *evidence

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
	prev       status.Kite
}

func (w *Watchdog) newKiteLoop(k *kiteRunner) *kiteLoop {
	s := w.settings.Load()
	return &kiteLoop{
		w:        w,
		log:      w.log.With(zap.String("kite", k.target.Name), zap.String("pagekite", k.instance)),
		target:   k.target,
		instance: k.instance,
		m:        fsm.New(k.target.Name, s.Policy, time.Now()),
		rng:      w.kiteSeed(),
		rebase:   k.rebase,
		mailbox:  k.mailbox,
		evidence: k.evidence,
		applied:  s,
	}
}

// run probes the kite until ctx ends, and takes the desk's answers as
// they come.
func (l *kiteLoop) run(ctx context.Context) {
	beat := l.w.deps.Monitor.Register("kite " + l.target.Name)
	defer beat.Done()

	s := l.applied
	first := firstWindow(s.Interval, s.Timeout)
	delay := l.w.cal.book(time.Now(), first, firstDelay(l.rng, first.hi), firstDelay(l.rng, first.hi))
	wake := time.Now().Add(delay)
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for first := true; ; first = false {
		beat.Idle(time.Now(), wake)
		select {
		case <-ctx.Done():
			return
		case <-l.rebase:
			l.logStep(l.m.Rebaseline(time.Now()), "machine slept: evidence from before is stale")
			l.publish(ctx, true)
			continue
		case a := <-l.mailbox.C():
			l.answer(a)
			// A hold moves the deadline; the next probe is scheduled up to
			// it (untilDecision), at most one interval after a short hold.
			l.publish(ctx, false)
			continue
		case <-timer.C:
		}
		// The pace runs from when the probe was due, not from when it
		// ended: a kite is probed every interval ± jitter, however long
		// the relay takes to answer.
		fired := time.Now()

		s = l.w.settings.Load()
		if s != l.applied {
			l.m.SetPolicy(s.Policy)
			l.applied = s
		}
		// Waiting for a probe slot is a legitimate wait, bounded by how
		// many probes are queued ahead of this one.
		slots := cap(l.w.sem)
		queued := time.Duration(s.Kites()/slots+1) * (probeBound(s) + time.Second)
		beat.Idle(time.Now(), time.Now().Add(queued))
		res, ok := l.probe(ctx)
		if !ok {
			return
		}
		beat.Busy(time.Now())
		l.observe(ctx, res)

		if first && wedged(l.target.Name) {
			l.log.Warn("test hook: kite loop wedged", zap.String("hook", wedgeEnv))
			<-ctx.Done()
			return
		}

		now := time.Now()
		pace := l.w.cal.book(fired, paceWindow(s.Interval, s.Jitter), nextDelay(l.rng, s.Interval, s.Jitter), nextDelay(l.rng, s.Interval, s.Jitter))
		next := max(fired.Add(pace).Sub(now), 0)
		delay = untilDecision(next, now, l.m.Deadline())
		wake = now.Add(delay)
		timer.Reset(delay)
	}
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
// apart (a missing file, no journalctl), and logs later errors at debug.
func (w *Watchdog) warnLog(src *pklog.Source, err error) {
	if _, said := w.logWarned.LoadOrStore(src.Name(), true); said {
		w.log.Debug("cannot read PageKite's log", zap.String("log", src.Name()), zap.Error(err))
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
