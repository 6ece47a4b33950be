package watchdog

import (
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/status"
)

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
	now := time.Now()
	f := &status.File{
		Updated:       status.FormatTime(now),
		PID:           os.Getpid(),
		Version:       w.deps.Version,
		Started:       status.FormatTime(w.started),
		DryRun:        s.DryRun,
		ConfigError:   w.configErr,
		RestartNeeded: s.RestartNeeded,
		Pagekites:     w.desk.Snapshot(now),
	}
	kites, lines := board.list()
	if s.StatusFile != "" {
		switch err := status.Write(s.StatusFile, f, lines); {
		case err == nil:
			w.statusErr = ""
		case err.Error() != w.statusErr:
			w.statusErr = err.Error()
			w.log.Warn("status file not written", zap.Error(err))
		default:
			w.log.Debug("status file not written", zap.Error(err))
		}
	}
	if w.deps.Notify != nil {
		w.deps.Notify(summary(f, kites, now))
	}
}

// restartNote is the STATUS= suffix for keys that wait for a restart.
func restartNote(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return "; restart pkwatchdogd to apply " + strings.Join(keys, ", ")
}
