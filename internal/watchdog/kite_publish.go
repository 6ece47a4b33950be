package watchdog

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/logging"
	"github.com/pagekite/pkwatchdogd/internal/status"
)

// logStep publishes a state change to the observer and the evidence, and
// logs it once, at info level or above; a step that changed nothing is
// neither (the desk logs holds and suppressions, once per instance).
func (l *kiteLoop) logStep(step fsm.Step, why string) {
	if !step.Changed {
		return
	}
	l.evidence.changed(l.m)
	if o := l.w.deps.Observer; o != nil {
		o.Changed(l.target.Name, step)
	}
	fields := []zap.Field{
		zap.String("from", string(step.From)),
		zap.String("to", string(step.To)),
		zap.String("event", string(step.Event)),
		zap.String("verdict", step.Verdict),
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

// publish sends the kite's status to the main loop. A change of count
// matters (the status file shows it within flushAfter) only up to the
// failure threshold: beyond it, in grace or cooldown, the count goes up
// at every probe and the minute's refresh shows it.
func (l *kiteLoop) publish(ctx context.Context, force bool) {
	now := time.Now()
	u := l.snapshot(now, l.applied)
	cur := significantOf(&u.kite)
	countMoved := u.kite.Count != l.prevCount && u.kite.Count <= max(l.applied.Policy.FailureThreshold, 1)
	u.significant = force || countMoved || cur != l.prev
	l.prev, l.prevCount = cur, u.kite.Count
	select {
	case l.w.updates <- u:
	case <-ctx.Done():
	}
}

// significant is what of a kite's status line makes the status file be
// rewritten soon when it changes (and the count, up to the threshold).
type significant struct {
	state, verdict, deadline, note, outcome, held string
	restarts                                      int
}

func significantOf(k *status.Kite) significant {
	return significant{k.State, k.Verdict, k.Deadline, k.Note, k.LastOutcome, k.Held, k.RestartsInWindow}
}

// snapshot is the kite's line in the status file. The restart budget is
// its instance's.
func (l *kiteLoop) snapshot(now time.Time, s *Settings) kiteUpdate {
	k := status.Kite{
		Name:             l.target.Name,
		Pagekite:         l.instance,
		State:            string(l.m.State()),
		Since:            status.FormatTime(l.m.Since()),
		Verdict:          string(l.evidence.last.Verdict),
		Detail:           l.evidence.last.Detail,
		Count:            l.m.Count(),
		Deadline:         status.FormatTime(l.m.Deadline()),
		RestartsInWindow: l.w.deps.Budget.RestartsInWindow(l.instance, now),
		LastProbe:        status.FormatTime(l.evidence.last.Start),
		LastFlying:       status.FormatTime(l.evidence.lastFlying),
		Note:             l.note,
		Held:             l.m.Held(),
		LastRestart:      status.FormatTime(l.restartAt),
		LastOutcome:      l.outcome,
	}
	if ok, freeAt := l.w.deps.Budget.RestartAllowed(l.instance, now); !ok {
		k.NextRestartAllowed = status.FormatTime(freeAt)
	}
	return kiteUpdate{kite: k, deadline: l.m.Deadline()}
}
