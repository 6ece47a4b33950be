package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sys/unix"

	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// respawnPoll is how often the respawn wait looks for a new PageKite.
const respawnPoll = 200 * time.Millisecond

// Restart restarts PageKite because kite is down, and records what happened.
// It never returns an error: Result.Outcome and Result.Reason say how it
// went, and every step is logged. It finds the process itself; see
// RestartFound.
func (r *Restarter) Restart(ctx context.Context, kite string) Result {
	return r.RestartFound(ctx, kite, nil)
}

// RestartFound is Restart of found, the process Find returned when the
// restart was decided (nil: find it now). That very process is signalled
// or nobody: it is proven again through a pidfd, and one that exited or
// changed since is not replaced by whatever runs now (a respawned
// PageKite is younger than the decision knew).
func (r *Restarter) RestartFound(ctx context.Context, kite string, found *Process) Result {
	log := r.log.With(zap.String("kite", kite), zap.String("method", r.opts.Method))
	res := Result{Method: r.opts.Method, Signal: unix.SignalName(r.opts.Signal)}
	if r.opts.Method == MethodCommand {
		res = r.restartByCommand(ctx, log, res, found)
	} else {
		res = r.restartBySignal(ctx, log, res, found)
	}
	finish(log, res)
	return res
}

// locateOr is found, or the process Find finds now.
func (r *Restarter) locateOr(ctx context.Context, found *Process) (Process, string, error) {
	if found != nil {
		return *found, found.source, nil
	}
	return r.locate(ctx)
}

// finish logs the result, at a level fitting the outcome.
func finish(log *zap.Logger, res Result) {
	level := zapcore.InfoLevel
	switch res.Outcome {
	case OutcomeNotRespawned, OutcomeFailed:
		level = zapcore.ErrorLevel
	case OutcomeRefused, OutcomeNoProcess:
		level = zapcore.WarnLevel
	}
	log.Log(level, "restart finished",
		zap.String("outcome", res.Outcome),
		zap.Int("pid", res.PID),
		zap.Int("new_pid", res.NewPID),
		zap.String("signal", res.Signal),
		zap.String("reason", res.Reason),
		zap.Bool("escalated", res.Escalated),
		zap.Int64("exit_after_ms", res.ExitAfterMS),
		zap.Int64("respawn_after_ms", res.RespawnAfterMS),
		zap.Bool("core_expected", res.Outlook.Expected),
	)
}

// describe copies what may be told about p into res and logs it.
func describe(log *zap.Logger, res *Result, p Process, source string) {
	res.PID, res.Program, res.Kind, res.Source, res.Exe = p.PID, p.Program, p.Kind, source, p.Exe
	log.Info("pagekite process found",
		zap.Int("pid", p.PID),
		zap.String("program", p.Program),
		zap.String("kind", string(p.Kind)),
		zap.String("source", source),
		zap.Duration("age", p.Age(time.Now()).Round(time.Second)),
		zap.Int("uid", p.UID),
	)
	// The command line holds the kite secret: debug only, and the
	// daemon's logger removes the secrets it knows or the line reveals
	// (one string, so that "--service_on VALUE" reads as one option).
	log.Debug("pagekite command line", zap.Int("pid", p.PID), zap.String("cmdline", strings.Join(p.Cmdline, " ")))
}

// notFoundOutcome maps a Find error to an outcome.
func notFoundOutcome(err error) string {
	if errors.Is(err, ErrNotFound) && !errors.Is(err, ErrNotPageKite) {
		return OutcomeNoProcess
	}
	return OutcomeRefused
}

// restartBySignal is Restart for the methods "signal" and "systemd".
func (r *Restarter) restartBySignal(ctx context.Context, log *zap.Logger, res Result, found *Process) Result {
	p, source, err := r.locateOr(ctx, found)
	if err == nil {
		describe(log, &res, p, source)
	}
	var h *pidHandle
	if err == nil {
		h, err = r.openProven(p)
	}
	if err != nil {
		res.Outcome, res.Reason = notFoundOutcome(err), err.Error()
		if res.Outcome != OutcomeNoProcess || len(r.opts.StartCommand) == 0 || r.opts.DryRun {
			return res
		}
		if found != nil {
			// The process the decision was about is gone: a PageKite
			// that runs now (its respawn) is neither restarted nor
			// started again.
			if now, _, err := r.locate(ctx); notFoundOutcome(err) != OutcomeNoProcess {
				if err == nil {
					res.Reason += fmt.Sprintf("; pid %d runs now: start command not run", now.PID)
				}
				return res
			}
		}
		return r.runStartCommand(ctx, log, res, Process{})
	}
	defer h.close()
	log = log.With(zap.Int("pid", p.PID))

	outlook, err := coreOutlook(h.proc, res.Signal)
	if err != nil {
		log.Warn("core dump outlook unknown", zap.Error(err))
		outlook.Reason = "unknown: " + err.Error()
	}
	res.Outlook = outlook
	if !outlook.Expected {
		log.Warn("no core dump expected", zap.String("reason", outlook.Reason))
	}
	facts := readCoreFacts(h.proc, int(r.opts.Signal), outlook.RlimitCore)
	res.Stacks = r.readStacks(ctx, log, h.proc, outlook)

	if r.opts.DryRun {
		res.Outcome, res.Reason = OutcomeDryRun, "dry run: nothing was signalled"
		log.Info("dry run: pagekite not signalled", zap.String("signal", res.Signal))
		return res
	}

	exited := false
	if r.opts.Diagnostics {
		exited, err = r.diagnostics(ctx, log, h, &res)
		res.Diagnostics = err == nil
		if err != nil {
			log.Warn("diagnostics signal failed", zap.Error(err))
		}
	}

	if err := ctx.Err(); err != nil && !exited {
		// pkwatchdogd is stopping: a restart that has not signalled yet
		// is abandoned.
		res.Outcome, res.Reason = OutcomeFailed, "pkwatchdogd stopped before the kill signal: nothing was killed"
		log.Warn("restart abandoned: pkwatchdogd is stopping", zap.Error(err))
		return res
	}
	res.Started = time.Now()
	if !exited {
		stacks.MarkRan(res.Stacks)
		if err := r.kill(ctx, log, h, res.Signal); err != nil {
			res.Outcome, res.Reason = OutcomeFailed, err.Error()
			if errors.Is(err, ErrNotPageKite) {
				res.Outcome = OutcomeRefused
			}
			return res
		}
		res.Escalated, err = r.waitOrEscalate(ctx, log, h)
		if err != nil {
			res.Outcome, res.Reason = OutcomeFailed, err.Error()
			return res
		}
	}
	res.Exited = time.Now()
	res.ExitAfterMS = res.Exited.Sub(res.Started).Milliseconds()
	log.Info("pagekite exited", zap.Int64("exit_after_ms", res.ExitAfterMS), zap.Bool("escalated", res.Escalated))

	res.Core = r.findCore(ctx, outlook, facts, res.Started)
	if res.Core != nil {
		log.Info("core dump found", zap.String("path", res.Core.Path), zap.Int64("size", res.Core.Size))
	}

	if np, ok := r.waitRespawn(ctx, h.proc, r.opts.RespawnTimeout); ok {
		res.Outcome = OutcomeRestarted
		respawned(log, &res, np)
		return res
	}
	if len(r.opts.StartCommand) > 0 {
		return r.runStartCommand(ctx, log, res, h.proc)
	}
	res.Outcome = OutcomeNotRespawned
	res.Reason = "no new pagekite within " + r.opts.RespawnTimeout.String() + " and no start command"
	return res
}

// diagnostics asks PageKite to write its state to its log, then waits
// DiagnosticsWait for the log to be written. pagekite.py: SIGUSR1 (it logs
// its connection table). pagekitec: SIGUSR1 (log everything), then SIGUSR2
// (dump its state, which it logs at a debug level that SIGUSR1 turned on).
// A stopped process (state T) gets SIGCONT first, or nothing would be
// written. It records what it sent in res. exited: the process died of it.
func (r *Restarter) diagnostics(ctx context.Context, log *zap.Logger, h *pidHandle, res *Result) (exited bool, err error) {
	sigs := []unix.Signal{unix.SIGUSR1}
	if h.proc.Kind == pagekite.C {
		sigs = append(sigs, unix.SIGUSR2)
	}
	if procState(h.proc.PID) == "T" {
		sigs = append([]unix.Signal{unix.SIGCONT}, sigs...)
	}
	res.DiagnosticsAt = time.Now()
	for i, sig := range sigs {
		log.Info("sending diagnostics signal", zap.String("signal", unix.SignalName(sig)))
		if err := h.signal(sig); err != nil {
			return false, err
		}
		res.DiagnosticsSent = append(res.DiagnosticsSent, unix.SignalName(sig))
		if i < len(sigs)-1 {
			// Let each take effect before the next (the log level before
			// the dump).
			if exited, err := h.waitExit(ctx, diagnosticsStep); exited || err != nil {
				return exited, err
			}
		}
	}
	exited, err = h.waitExit(ctx, r.opts.DiagnosticsWait)
	if exited {
		log.Warn("pagekite exited on the diagnostics signals", zap.Strings("signals", res.DiagnosticsSent))
	}
	return exited, err
}

// diagnosticsStep is the pause between two diagnostics signals.
const diagnosticsStep = 200 * time.Millisecond

// procState is the state letter of pid from /proc/PID/stat ("" when gone).
func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+3 > len(b) {
		return ""
	}
	return string(b[i+2 : i+3])
}

// kill sends the kill signal through the proven process's pidfd, then
// SIGCONT so that a stopped process gets to die. For method "systemd" the
// unit's MainPID must be that very process (a pid file may name another):
// what is killed is what was proven, and systemd, seeing its main process
// die of the signal, restarts the unit.
func (r *Restarter) kill(ctx context.Context, log *zap.Logger, h *pidHandle, name string) error {
	if r.opts.Method == MethodSystemd {
		pid, err := unitMainPID(ctx, r.opts.Unit)
		if err != nil {
			return fmt.Errorf("method systemd: %w: nothing killed", err)
		}
		if pid != h.proc.PID {
			return fmt.Errorf("%w: %s's main process is pid %d, not the proven pagekite pid %d: nothing killed", ErrNotPageKite, r.opts.Unit, pid, h.proc.PID)
		}
	}
	log.Info("sending kill signal", zap.String("signal", name))
	if err := h.signal(r.opts.Signal); err != nil {
		return err
	}
	if err := h.signal(unix.SIGCONT); err != nil && !errors.Is(err, unix.ESRCH) {
		log.Warn("SIGCONT failed", zap.Error(err))
	}
	return nil
}

// waitOrEscalate waits KillTimeout for the exit, then sends SIGKILL and
// waits KillTimeout again. A nil error means the process exited.
func (r *Restarter) waitOrEscalate(ctx context.Context, log *zap.Logger, h *pidHandle) (escalated bool, err error) {
	exited, err := h.waitExit(ctx, r.opts.KillTimeout)
	if err != nil || exited {
		return false, err
	}
	if h.proc.InnerPID == 1 {
		// The init of a PID namespace (a container's PageKite): SIGKILL
		// would end the whole container.
		return false, fmt.Errorf("pagekite (pid %d) outlived the kill signal and is PID 1 of its namespace: never SIGKILLed", h.proc.PID)
	}
	log.Warn("pagekite outlived the kill signal, escalating to SIGKILL", zap.Duration("kill_timeout", r.opts.KillTimeout))
	if err := h.signal(unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
		return true, err
	}
	exited, err = h.waitExit(ctx, r.opts.KillTimeout)
	if err == nil && !exited {
		err = errors.New("pagekite did not exit after SIGKILL")
	}
	return true, err
}

// findCore looks for the core the kill left, when one could come.
func (r *Restarter) findCore(ctx context.Context, o CoreOutlook, f coreFacts, since time.Time) *CoreFile {
	if !o.Expected {
		return nil
	}
	if strings.HasPrefix(o.CorePattern, "|") {
		if strings.Contains(o.CorePattern, "systemd-coredump") {
			return findCoredumpctl(ctx, f.pid)
		}
		return nil
	}
	return findCoreFile(coreGlob(o.CorePattern, f), since)
}

// waitRespawn waits up to timeout for a PageKite process other than old.
func (r *Restarter) waitRespawn(ctx context.Context, old Process, timeout time.Duration) (Process, bool) {
	deadline := time.Now().Add(timeout)
	for {
		p, _, err := r.locate(ctx)
		if err == nil && !p.sameAs(old) {
			return p, true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return Process{}, false
		}
		select {
		case <-ctx.Done():
			return Process{}, false
		case <-time.After(min(left, respawnPoll)):
		}
	}
}

// respawned records the new process.
func respawned(log *zap.Logger, res *Result, np Process) {
	res.NewPID = np.PID
	res.Respawned = time.Now()
	since := res.Exited
	if since.IsZero() {
		since = res.Started
	}
	if !since.IsZero() {
		res.RespawnAfterMS = res.Respawned.Sub(since).Milliseconds()
	}
	log.Info("pagekite respawned", zap.Int("new_pid", np.PID), zap.Int64("respawn_after_ms", res.RespawnAfterMS))
}

// runStartCommand runs StartCommand and waits for a PageKite other than old.
func (r *Restarter) runStartCommand(ctx context.Context, log *zap.Logger, res Result, old Process) Result {
	log.Warn("running start command", zap.String("program", programName(r.opts.StartCommand)))
	if res.Started.IsZero() {
		res.Started = time.Now()
	}
	out, err := runCommand(ctx, r.opts.StartCommand, r.opts.CommandTimeout)
	if err != nil {
		log.Debug("start command output", zap.String("output", out))
		res.Outcome, res.Reason = OutcomeNotRespawned, "start command failed: "+err.Error()
		return res
	}
	if np, ok := r.waitRespawn(ctx, old, r.opts.RespawnTimeout); ok {
		res.Outcome, res.Reason = OutcomeRestartedByCommand, ""
		respawned(log, &res, np)
		return res
	}
	res.Outcome = OutcomeNotRespawned
	res.Reason = "no new pagekite within " + r.opts.RespawnTimeout.String() + " after the start command"
	return res
}

// restartByCommand is Restart for the method "command".
func (r *Restarter) restartByCommand(ctx context.Context, log *zap.Logger, res Result, found *Process) Result {
	res.Signal = ""
	old, source, err := r.locateOr(ctx, found)
	if err == nil {
		describe(log, &res, old, source)
	} else {
		log.Info("no pagekite process found before the restart command", zap.Error(err))
		old = Process{}
	}
	if r.opts.DryRun {
		res.Outcome, res.Reason = OutcomeDryRun, "dry run: restart command not run"
		log.Info("dry run: restart command not run", zap.String("program", programName(r.opts.Command)))
		return res
	}
	log.Info("running restart command", zap.String("program", programName(r.opts.Command)))
	res.Started = time.Now()
	out, err := runCommand(ctx, r.opts.Command, r.opts.CommandTimeout)
	if err != nil {
		log.Debug("restart command output", zap.String("output", out))
		res.Outcome, res.Reason = OutcomeFailed, "restart command failed: "+err.Error()
		return res
	}
	if np, ok := r.waitRespawn(ctx, old, r.opts.RespawnTimeout); ok {
		res.Outcome = OutcomeRestartedByCommand
		respawned(log, &res, np)
		return res
	}
	res.Outcome = OutcomeNotRespawned
	res.Reason = "no new pagekite within " + r.opts.RespawnTimeout.String() + " after the restart command"
	return res
}

// RaiseLogLevel asks the PageKite process, when it is a pagekitec, to log
// everything (SIGUSR1), so that its log shows what happens before a
// restart; the process is proven first, as for a restart. It does nothing
// for pagekite.py (whose SIGUSR1 dumps its state: the restart asks for
// that), nor in a dry run.
func (r *Restarter) RaiseLogLevel(ctx context.Context) error {
	if r.opts.DryRun || r.opts.Method == MethodCommand {
		return nil
	}
	p, _, err := r.locate(ctx)
	if err != nil {
		return err
	}
	if p.Kind != pagekite.C {
		return nil
	}
	h, err := r.openProven(p)
	if err != nil {
		return err
	}
	defer h.close()
	r.log.Info("asking pagekitec for more logging: a kite is suspect", zap.Int("pid", p.PID), zap.String("signal", "SIGUSR1"))
	return h.signal(unix.SIGUSR1)
}
