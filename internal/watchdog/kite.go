package watchdog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/logging"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/report"
	"github.com/pagekite/pkwatchdogd/internal/status"
)

// keptProbes is how many recent probe results a kite keeps for its crash
// report.
const keptProbes = 20

// kiteLoop owns one kite's state machine. Only its own goroutine (run)
// touches its fields.
type kiteLoop struct {
	w      *Watchdog
	log    *zap.Logger
	target probe.Target
	m      *fsm.Machine
	rng    *rand.Rand
	rebase <-chan struct{}

	// applied is the Settings whose policy the machine has.
	applied    *Settings
	last       probe.Result
	probes     []probe.Result
	lastFlying time.Time
	note       string
	restart    *action.Result
	restartAt  time.Time
	prev       status.Kite
}

func (w *Watchdog) newKiteLoop(t probe.Target, rebase <-chan struct{}) *kiteLoop {
	s := w.settings.Load()
	return &kiteLoop{
		w:       w,
		log:     w.log.With(zap.String("kite", t.Name)),
		target:  t,
		m:       fsm.New(t.Name, s.Policy, time.Now()),
		rng:     w.kiteSeed(),
		rebase:  rebase,
		applied: s,
	}
}

// run probes the kite until ctx ends.
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
			first = false
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
		queued := time.Duration(len(s.Targets)/slots+1) * (probeBound(s) + time.Second)
		beat.Idle(time.Now(), time.Now().Add(queued))
		res, ok := l.probe(ctx)
		if !ok {
			return
		}
		beat.Busy(time.Now())
		l.observe(ctx, s, res)

		if first && l.w.deps.WedgeKite == l.target.Name {
			l.log.Warn("test hook: kite loop wedged", zap.String("hook", "PKWATCHDOGD_TEST_WEDGE"))
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

// observe feeds a probe result to the machine and acts on the step.
func (l *kiteLoop) observe(ctx context.Context, s *Settings, res probe.Result) {
	l.last = res
	if len(l.probes) == keptProbes {
		l.probes = append(l.probes[:0], l.probes[1:]...)
	}
	l.probes = append(l.probes, res)
	if res.Verdict == probe.Flying {
		l.lastFlying = res.Start
	}
	if o := l.w.deps.Observer; o != nil {
		o.Probed(l.target.Name, res)
	}
	l.log.Debug("probe result",
		zap.String("verdict", string(res.Verdict)),
		zap.String("detail", res.Detail),
		zap.Duration("duration", res.Duration),
		zap.String("state", string(l.m.State())))

	step := l.m.Observe(time.Now(), res.Verdict, res.Detail, func(now time.Time) fsm.Gate {
		return l.gate(ctx, s, now)
	})
	l.logStep(step, "")
	if step.Restart {
		l.doRestart(ctx, s)
	}
	l.publish(ctx, false)
}

// gate says what holds a restart back at the moment grace runs out.
func (l *kiteLoop) gate(ctx context.Context, s *Settings, now time.Time) fsm.Gate {
	var g fsm.Gate
	hold := func(until time.Time, reason string) {
		if until.After(now) && until.After(g.HoldUntil) {
			g.HoldUntil, g.HoldReason = until, reason
		}
	}
	hold(l.w.started.Add(s.StartupDelay),
		fmt.Sprintf("pkwatchdogd started less than startup_delay (%s) ago", s.StartupDelay))
	if boot, _ := l.w.deps.Clocks(); boot < s.StartupDelay {
		hold(now.Add(s.StartupDelay-boot),
			fmt.Sprintf("the machine booted less than startup_delay (%s) ago", s.StartupDelay))
	}
	if s.MinProcessAge > 0 {
		if p, err := l.w.deps.Restarter.Find(ctx); err == nil && !p.Started.IsZero() {
			if age := now.Sub(p.Started); age < s.MinProcessAge {
				hold(now.Add(s.MinProcessAge-age),
					fmt.Sprintf("PageKite (pid %d) is younger than min_process_age (%s)", p.PID, s.MinProcessAge))
			}
		}
	}
	if ok, freeAt := l.w.deps.Budget.RestartAllowed(l.target.Name, now); !ok {
		// freeAt is a wall time; carry it over to now's monotonic clock.
		wait := freeAt.Sub(now)
		if freeAt.IsZero() || wait <= 0 {
			wait = s.Policy.Cooldown // never restart: check again after a cooldown
		}
		g.BudgetFreeAt = now.Add(wait)
		g.BudgetReason = fmt.Sprintf("restart budget exhausted (%d restarts in the window)",
			l.w.deps.Budget.RestartsInWindow(l.target.Name, now))
	}
	return g
}

// doRestart runs the restart outside the state machine, records it in the
// budget, moves the machine to cooldown and hands the crash report over.
func (l *kiteLoop) doRestart(ctx context.Context, s *Settings) {
	l.log.Warn("restarting pagekite",
		logging.MessageID(logging.MsgRestart),
		zap.Bool("dry_run", s.DryRun),
		zap.String("verdict", string(l.last.Verdict)),
		zap.String("detail", l.last.Detail))
	res := l.w.deps.Restarter.Restart(ctx, l.target.Name)
	now := time.Now()
	l.restart, l.restartAt = &res, now
	if spent(res) && !s.DryRun {
		if err := l.w.deps.Budget.RecordRestart(l.target.Name, now); err != nil {
			l.log.Error("restart not recorded in the budget", zap.Error(err))
		}
	}
	// The restarter logs the outcome itself; the loop keeps it for the
	// status.
	switch res.Outcome {
	case action.OutcomeNotRespawned, action.OutcomeFailed:
		l.note = "PageKite did not come back after the restart: " + res.Reason
	default:
		l.note = ""
	}
	if o := l.w.deps.Observer; o != nil {
		o.Restarted(l.target.Name, res)
	}
	l.logStep(l.m.Restarted(now, res.Outcome), "")
	if r := l.w.deps.Reporter; r != nil && reportable(res) {
		r.Report(l.reportInput(now, res))
	}
}

// spent reports whether a restart result used up budget: something was
// signalled or run.
func spent(r action.Result) bool {
	switch r.Outcome {
	case action.OutcomeDryRun, action.OutcomeNoProcess, action.OutcomeRefused:
		return false
	}
	return true
}

// reportable reports whether a restart result deserves a crash report: it
// did something, or in dry run would have.
func reportable(r action.Result) bool {
	return r.Outcome != action.OutcomeNoProcess && r.Outcome != action.OutcomeRefused
}

func (l *kiteLoop) reportInput(now time.Time, res action.Result) report.Input {
	in := report.Input{
		Kite:       l.target.Name,
		Reason:     fmt.Sprintf("relay says %s is not connected: %s", l.target.Name, l.last.Detail),
		At:         now,
		LastFlying: l.lastFlying,
		History:    l.m.History(),
		Probes:     append([]probe.Result(nil), l.probes...),
		Restart:    res,
	}
	if res.Core != nil {
		in.CorePath, in.CoreSize = res.Core.Path, res.Core.Size
	}
	return in
}

// logStep logs a state change once, at info level or above; a step that
// changed nothing is logged only when it carries a new note.
func (l *kiteLoop) logStep(step fsm.Step, why string) {
	if !step.Changed {
		// In grace, a note means the restart is held back (startup delay,
		// young process): said once per reason.
		if step.Held && step.Note != l.note {
			l.note = step.Note
			l.log.Info("restart held back", zap.String("state", string(step.To)), zap.String("reason", step.Note))
		}
		return
	}
	if o := l.w.deps.Observer; o != nil {
		o.Changed(l.target.Name, step)
	}
	fields := []zap.Field{
		zap.String("from", string(step.From)),
		zap.String("to", string(step.To)),
		zap.String("event", string(step.Event)),
		zap.String("verdict", string(step.Verdict)),
		zap.String("detail", step.Detail),
	}
	if step.Note != "" {
		fields = append(fields, zap.String("note", step.Note))
	}
	if why != "" {
		fields = append(fields, zap.String("reason", why))
	}
	if !l.m.Deadline().IsZero() {
		fields = append(fields, zap.Time("deadline", l.m.Deadline()))
	}
	switch {
	case step.To == fsm.Cooldown && step.From == fsm.Grace:
		l.note = step.Note
		if o := l.w.deps.Observer; o != nil {
			o.Suppressed(l.target.Name, step.Note)
		}
		l.log.Warn("restart suppressed", append(fields, logging.MessageID(logging.MsgRestartSuppressed))...)
	case step.To == fsm.Grace:
		l.log.Warn("kite state changed", append(fields, logging.MessageID(logging.MsgKiteDown))...)
	case step.To == fsm.Healthy && step.From != fsm.Suspect:
		l.note = ""
		l.log.Info("kite state changed", append(fields, logging.MessageID(logging.MsgKiteRecovered))...)
	default:
		if step.To == fsm.Healthy {
			l.note = ""
		}
		l.log.Info("kite state changed", fields...)
	}
}

// publish sends the kite's status to the main loop.
func (l *kiteLoop) publish(ctx context.Context, force bool) {
	now := time.Now()
	u := l.snapshot(now, l.applied)
	u.significant = force || u.kite.State != l.prev.State || u.kite.Verdict != l.prev.Verdict ||
		u.kite.Count != l.prev.Count || u.kite.Deadline != l.prev.Deadline || u.kite.Note != l.prev.Note ||
		u.kite.LastOutcome != l.prev.LastOutcome || u.kite.RestartsInWindow != l.prev.RestartsInWindow
	l.prev = u.kite
	select {
	case l.w.updates <- u:
	case <-ctx.Done():
	}
}

// snapshot is the kite's line in the status file.
func (l *kiteLoop) snapshot(now time.Time, s *Settings) kiteUpdate {
	name := l.target.Name
	k := status.Kite{
		Name:             name,
		State:            string(l.m.State()),
		Since:            status.FormatTime(l.m.Since()),
		Verdict:          string(l.last.Verdict),
		Detail:           l.last.Detail,
		Count:            l.m.Count(),
		Deadline:         status.FormatTime(l.m.Deadline()),
		RestartsInWindow: l.w.deps.Budget.RestartsInWindow(name, now),
		LastProbe:        status.FormatTime(l.last.Start),
		LastFlying:       status.FormatTime(l.lastFlying),
		Note:             l.note,
		LastRestart:      status.FormatTime(l.restartAt),
	}
	if ok, freeAt := l.w.deps.Budget.RestartAllowed(name, now); !ok {
		k.NextRestartAllowed = status.FormatTime(freeAt)
	}
	if l.restart != nil {
		k.LastOutcome = l.restart.Outcome
	}
	if s.DryRun && k.Note == "" && l.m.State() == fsm.Cooldown && l.restart != nil && l.restart.Outcome == action.OutcomeDryRun {
		k.Note = "dry run: nothing was signalled"
	}
	return kiteUpdate{kite: k, deadline: l.m.Deadline()}
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
		zap.Duration("waited", waited), zap.Int("concurrency", cap(w.sem)), zap.Int("kites", len(s.Targets)),
		zap.Duration("interval", s.Interval))
}
