package desk

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/pymem"
	"github.com/pagekite/pkwatchdogd/internal/report"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// job is one due decision handed to the worker.
type job struct {
	spec          Instance
	kite          string
	cooldownUntil time.Time
	started       time.Time
}

// event is what the worker tells the loop: a decision (then, after Go, the
// restart's result), or the processes it looked for.
type event struct {
	instance string
	at       time.Time
	decision Decision
	result   *action.Result
	// status is pagekitec's status file as it was just before the
	// restart (the hung process's word, not the respawned one's).
	status *report.StatusSnapshot
	// found: the process was found, with pid and kind.
	found bool
	pid   int
	kind  pagekite.Kind

	looked map[string]process
	// raised: a log-level raise ended.
	raised bool
}

type process struct {
	pid  int
	kind pagekite.Kind
	// faulthandler is a pagekite.py's (nil for pagekitec, or not found);
	// unreadable says why its Python stacks cannot be read from its
	// memory (nil: they can, or it is no pagekite.py).
	faulthandler *stacks.Faulthandler
	unreadable   error
}

// send gives ev to the loop; false when ctx ended first.
func (d *Desk) send(ctx context.Context, ev event) bool {
	select {
	case d.events <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// work decides on j and, on Go, restarts. It is the only place a restart
// happens, one at a time.
func (d *Desk) work(ctx context.Context, j job) {
	f := Facts{Started: j.started, Uptime: d.deps.Uptime(), CooldownUntil: j.cooldownUntil}
	name := j.spec.Name
	ev := event{instance: name}
	var found *action.Process // what the decision is about, and the restart
	if p, err := j.spec.Restarter.Find(ctx); err == nil {
		found = &p
		f.ProcessStarted, f.PID = p.Started, p.PID
		ev.found, ev.pid, ev.kind = true, p.PID, p.Kind
	} else {
		d.log.Debug("pagekite process not found before the decision", zap.String("pagekite", name), zap.Error(err))
	}
	f.Now = time.Now()
	budget := d.deps.Budget
	if j.spec.Policy.DryRun {
		budget = d.dry // would-be restarts count, in memory only
	}
	f.BudgetOK, f.BudgetFreeAt = budget.RestartAllowed(name, f.Now)
	if !f.BudgetOK {
		f.InWindow = budget.RestartsInWindow(name, f.Now)
	}
	ev.decision, ev.at = Decide(j.spec.Policy, f), f.Now
	if !d.send(ctx, ev) || ev.decision.Kind != Go {
		return
	}
	// The evidence of the process goes into the report as it was before
	// the kill: after it, the status file is the respawned process's.
	status := report.SnapshotStatus(j.spec.source().StatusFile, time.Now())
	res := j.spec.Restarter.RestartFound(ctx, j.kite, found)
	now := time.Now()
	switch {
	case j.spec.Policy.DryRun && res.Outcome == action.OutcomeDryRun:
		_ = d.dry.RecordRestart(name, now)
	case spent(res) && !j.spec.Policy.DryRun:
		if err := d.deps.Budget.RecordRestart(name, now); err != nil {
			d.log.Error("restart not recorded in the budget", zap.String("pagekite", name), zap.Error(err))
		}
	}
	d.send(ctx, event{instance: name, at: now, result: &res, status: status})
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

// raise asks spec's PageKite to log more (a kite turned suspect).
func (d *Desk) raise(ctx context.Context, spec Instance) {
	if err := spec.Restarter.RaiseLogLevel(ctx); err != nil {
		d.log.Warn("could not ask pagekitec for more logging", zap.String("pagekite", spec.Name), zap.Error(err))
	}
	d.send(ctx, event{instance: spec.Name, raised: true})
}

// look finds every instance's process, for the status file.
func (d *Desk) look(ctx context.Context, specs []Instance) {
	found := make(map[string]process, len(specs))
	for _, s := range specs {
		if p, err := s.Restarter.Find(ctx); err == nil {
			pr := process{pid: p.PID, kind: p.Kind}
			if p.Kind == pagekite.Py {
				fh := stacks.PythonFaulthandler(p.PID)
				pr.faulthandler = &fh
				_, pr.unreadable = pymem.Check(p.PID)
			}
			found[s.Name] = pr
		} else {
			found[s.Name] = process{}
		}
	}
	d.send(ctx, event{looked: found})
}

// reportInput is the crash report of in's restart: every kite of the
// instance with what its loop knows.
func (d *Desk) reportInput(in *inst, at time.Time, res action.Result, status *report.StatusSnapshot) report.Input {
	rin := report.Input{
		Kite: in.first, Instance: in.spec.Name, Reason: in.reason, At: at, Restart: res, Status: status,
		LogFile: in.spec.source().LogFile, JournalUnit: in.spec.source().JournalUnit, LogCommand: in.spec.source().Command,
		DryRun: in.spec.Policy.DryRun,
	}
	if res.Core != nil {
		rin.CorePath, rin.CoreSize = res.Core.Path, res.Core.Size
	}
	rin.Diagnostics, rin.DiagnosticsAt = res.DiagnosticsSent, res.DiagnosticsAt
	rin.Kind, rin.Exe, rin.StatusFile, rin.Stacks = res.Kind, res.Exe, in.spec.source().StatusFile, res.Stacks
	if rin.Kind == pagekite.Unknown {
		rin.Kind = in.spec.Kind
	}
	var kites []KiteEvidence
	for _, k := range in.spec.Kites {
		if d.deps.Evidence == nil {
			break
		}
		e, ok := d.deps.Evidence(k.Name)
		if !ok {
			continue
		}
		kites = append(kites, e)
		if k.Name == in.first {
			rin.History, rin.Probes = e.History, e.Probes
		}
		// The log reaches back to the earliest time a kite was flying.
		if !e.LastFlying.IsZero() && (rin.LastFlying.IsZero() || e.LastFlying.Before(rin.LastFlying)) {
			rin.LastFlying = e.LastFlying
		}
	}
	rin.Kites = kites
	if rin.Kite == "" && len(in.spec.Kites) > 0 {
		rin.Kite = in.spec.Kites[0].Name
	}
	return rin
}
