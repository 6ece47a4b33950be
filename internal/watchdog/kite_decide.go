package watchdog

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/logging"
	"github.com/pagekite/pkwatchdogd/internal/pklog"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// evidenceOf maps a probe verdict onto what the state machine counts:
// only kite-down is Down; flying and backend-down are Up; rejected is
// Rejected (it holds the machine, never counts); everything else is
// Inconclusive.
func evidenceOf(v probe.Verdict) fsm.Evidence {
	switch {
	case v.Down():
		return fsm.Down
	case v.Up():
		return fsm.Up
	case v == probe.Rejected:
		return fsm.Rejected
	}
	return fsm.Inconclusive
}

// observe feeds a probe result to the machine and, when a decision is
// due, asks the desk. An unanswered decision stays due, so the kite asks
// again at its next probe: the desk joins repeated requests, and a request
// lost in a reload is asked again.
func (l *kiteLoop) observe(ctx context.Context, res probe.Result) {
	res = l.explain(ctx, res)
	l.evidence.probed(res)
	if o := l.w.deps.Observer; o != nil {
		o.Probed(l.target.Name, res)
	}
	l.log.Debug("probe result",
		zap.String("verdict", string(res.Verdict)),
		zap.String("detail", res.Detail),
		zap.Duration("duration", res.Duration),
		zap.String("state", string(l.m.State())))

	step := l.m.Observe(time.Now(), evidenceOf(res.Verdict), string(res.Verdict), res.Detail)
	l.logStep(step, "")
	if step.Changed && step.To == fsm.Suspect && step.Event != fsm.EvReject {
		// A pagekitec then logs everything, so that its log shows what
		// comes before a restart (the desk asks it once per restart); a
		// kite held because the relay refuses it is no such restart.
		l.w.desk.Suspect(l.instance)
	}
	if step.Due {
		l.w.desk.Request(ctx, desk.Request{
			Kite: l.target.Name, Instance: l.instance, Relapse: l.m.Relapse(),
			Verdict: string(res.Verdict), Detail: res.Detail,
		})
	}
	l.publish(ctx, false)
}

// answer feeds the desk's answer to the machine.
func (l *kiteLoop) answer(a desk.Answer) {
	now := time.Now()
	var step fsm.Step
	switch a.Kind {
	case desk.AnswerHold:
		step = l.m.Hold(now, a.Until, a.Note)
	case desk.AnswerBegin:
		step = l.m.Begin(now, a.Note)
	case desk.AnswerCool:
		if a.Restarted && l.m.State() == fsm.Grace {
			// The desk's "restarting" was overtaken by the restart's end
			// (the mailbox keeps the latest answer; a restart that finds
			// no process ends at once): the kite went through restarting
			// all the same, and its history and journal say so.
			l.logStep(l.m.Begin(now, "restarting pagekite "+l.instance), "")
		}
		step = l.m.Cool(now, a.Until, a.Restarted, a.Note)
		if a.Restarted {
			l.outcome, l.restartAt = a.Outcome, a.At
		}
	}
	// The desk's note says why (held, suppressed, PageKite did not come
	// back); empty after a restart that went well.
	if step.Changed || step.Held || a.Kind == desk.AnswerCool {
		l.note = a.Note
	}
	l.logStep(step, "")
}

// explain turns a kite-down into rejected when the instance's log says
// that the relay refused the kite (pklog.Explain), and says so once per
// rejection: a warning when it is first seen, a line when a conclusive
// probe no longer shows it.
func (l *kiteLoop) explain(ctx context.Context, res probe.Result) probe.Result {
	var src *pklog.Source
	if in := l.applied.instance(l.instance); in != nil {
		src = in.Log
	}
	out, r, ok, err := pklog.Explain(ctx, src, res, time.Now())
	if err != nil {
		l.w.warnLog(src, err)
	}
	l.statusEvidence(src, out)
	switch {
	case ok && l.rejected == "":
		l.rejected = r.Reason
		l.note = "rejected by the relay: " + r.Advice()
		l.log.Warn("relay rejects the kite: no restart, a restart cannot fix this",
			zap.String("reason", r.Reason), zap.String("relay", r.Relay), zap.Bool("duplicate", r.Duplicate),
			zap.String("source", r.Source), zap.String("advice", r.Advice()),
			logging.MessageID(logging.MsgKiteRejected))
	case !ok && l.rejected != "" && out.Verdict.Conclusive():
		l.log.Info("relay no longer rejects the kite",
			zap.String("was", l.rejected), zap.String("verdict", string(out.Verdict)))
		l.rejected, l.note = "", ""
	}
	return out
}

// statusEvidence says, once per kite-down episode, what pagekitec's own
// status file adds to a kite-down: stale (not rewritten for three update
// intervals: the process looks hung) or "flying" (pagekitec believes it is
// connected while the relay says it is not). Both go into the crash
// report too (report.json pagekitec_status).
func (l *kiteLoop) statusEvidence(src *pklog.Source, res probe.Result) {
	if res.Verdict != probe.KiteDown {
		if res.Verdict.Up() {
			l.statusSaid = ""
		}
		return
	}
	if src == nil || src.StatusFile == "" {
		return
	}
	st, err := src.ReadStatus() // only one it can trust
	if err != nil {
		return
	}
	var what string
	switch {
	case st.Stale(time.Now()):
		what = "stale"
	case st.Status == "flying":
		what = "flying"
	default:
		return
	}
	if l.statusSaid == what {
		return
	}
	l.statusSaid = what
	fields := []zap.Field{zap.String("status_file", src.StatusFile), zap.String("status", st.Status),
		zap.Time("updated", st.Updated), zap.Int("pid", st.PID)}
	if what == "stale" {
		l.log.Warn("pagekitec's status file is stale while the relay says the kite is not connected: pagekitec looks hung", fields...)
	} else {
		l.log.Warn("pagekitec's status file says flying while the relay says the kite is not connected", fields...)
	}
}
