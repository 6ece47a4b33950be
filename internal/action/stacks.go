package action

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/pymem"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// readStacks reads p's threads and, where nothing else will give native
// frames, attaches a stack tool for at most StacksTimeout. It never fails:
// what could not be read is said in the notes.
func (r *Restarter) readStacks(ctx context.Context, log *zap.Logger, p Process, outlook CoreOutlook) *stacks.Snapshot {
	s := &stacks.Snapshot{At: time.Now(), PID: p.PID}
	threads, err := stacks.ReadThreads(p.PID)
	s.Threads = threads
	if err != nil {
		s.ThreadsErr = err.Error()
	}
	if p.Kind == pagekite.Py {
		fh := stacks.PythonFaulthandler(p.PID)
		s.Faulthandler = &fh
		if r.opts.AttachStacks {
			r.readPython(ctx, log, p, s)
		} else {
			s.PythonNote = "restart.stacks = \"off\": memory not read"
		}
	}
	switch {
	case !r.opts.AttachStacks:
		s.NativeNote = "restart.stacks = \"off\""
	case len(s.Python) > 0:
		s.NativeNote = "python stacks read from memory"
	case s.Faulthandler != nil && s.Faulthandler.On:
		s.NativeNote = "python stacks come from faulthandler"
	case outlook.Expected && strings.Contains(outlook.CorePattern, "systemd-coredump"):
		s.NativeFromCoredump = true
		s.NativeNote = "from systemd-coredump's journal entry, after the kill"
	case r.opts.DryRun:
		s.NativeNote = "dry run: no stack tool attached"
	default:
		start := time.Now()
		s.Native, s.NativeSource, err = stacks.Native(ctx, p.PID, r.opts.StacksTimeout)
		if err != nil {
			s.NativeNote = err.Error()
			log.Warn("no native stacks", zap.String("tool", s.NativeSource), zap.Error(err))
		} else {
			log.Info("native stacks read", zap.String("tool", s.NativeSource), zap.Int("threads", len(s.Native)),
				zap.Duration("took", time.Since(start).Round(time.Millisecond)))
		}
	}
	return s
}

// readPython reads pagekite.py's Python stacks from its memory into s,
// if pid is still the process the restart proved: a PID reused meanwhile
// is neither held nor read.
func (r *Restarter) readPython(ctx context.Context, log *zap.Logger, p Process, s *stacks.Snapshot) {
	if now, err := readProcess(p.PID); err != nil || !p.sameAs(now) {
		s.PythonNote = fmt.Sprintf("not read from memory: pid %d is no longer the process the restart proved", p.PID)
		return
	}
	ps, err := pymem.Read(ctx, p.PID)
	if err != nil {
		s.PythonNote = "not read from memory: " + err.Error()
		log.Warn("python stacks not read", zap.Error(err))
		return
	}
	s.Python, s.PythonVersion, s.PythonNote, s.PythonRunTimes = ps.Threads, ps.Version, ps.Note, ps.RunTimes
	log.Info("python stacks read", zap.String("python", ps.Version), zap.Int("threads", len(ps.Threads)),
		zap.String("held", ps.Held), zap.Duration("took", ps.Took.Round(time.Microsecond)), zap.Int("bytes", ps.Bytes))
}
