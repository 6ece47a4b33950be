package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"syscall"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/status"
)

// staleAfter is how old a status file may be before `status` calls it stale:
// the daemon rewrites it at least every minute.
const staleAfter = 3 * time.Minute

// setupStatus defines the flags of `pkwatchdogd status`.
func setupStatus(fs *flag.FlagSet) runFunc {
	path := fs.String("config", defaultConfig, "config `file` (for status_file)")
	asJSON := fs.Bool("json", false, "print the status file's JSON")
	return func(_ context.Context, _ []string, stdout, stderr io.Writer) int {
		return runStatus(*path, *asJSON, stdout, stderr)
	}
}

// runStatus prints the running daemon's status file as a table or JSON, and
// says plainly when the daemon is not running or the file is stale.
func runStatus(path string, asJSON bool, stdout, stderr io.Writer) int {
	cfg, code := loadConfig(path, stderr)
	if cfg == nil {
		return code
	}
	f, err := status.Read(cfg.StatusFile)
	if errors.Is(err, status.ErrNoStatus) {
		fmt.Fprintf(stderr, "pkwatchdogd is not running (no status file at %s)\n", cfg.StatusFile)
		return exitNotRunning
	}
	if err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd: %v\n", err)
		return exitDown
	}
	code = exitOK
	if !alive(f.PID) {
		fmt.Fprintf(stderr, "pkwatchdogd is not running (pid %d is gone); last status from %s:\n", f.PID, f.Updated)
		code = exitNotRunning
	} else if t, err := time.Parse(time.RFC3339, f.Updated); err != nil || time.Since(t) > staleAfter {
		fmt.Fprintf(stderr, "warning: the status file is stale (updated %s): the daemon may be stuck\n", f.Updated)
		code = exitDown
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(f)
		return code
	}
	printStatus(stdout, f)
	return code
}

func printStatus(w io.Writer, f *status.File) {
	mode := ""
	if f.DryRun {
		mode = " (dry run: nothing is signalled or uploaded)"
	}
	fmt.Fprintf(w, "pkwatchdogd %s, pid %d, up since %s, updated %s%s\n", f.Version, f.PID, f.Started, f.Updated, mode)
	if f.ConfigError != "" {
		fmt.Fprintf(w, "config reload failed, running on the previous config: %s\n", f.ConfigError)
	}
	if len(f.RestartNeeded) > 0 {
		fmt.Fprintf(w, "restart pkwatchdogd to apply the reloaded %v\n", f.RestartNeeded)
	}
	var pt table
	pt.row("PAGEKITE", "PID", "STATE", "RESTARTS", "NEXT ALLOWED", "COOLDOWN", "UNTIL", "LAST OUTCOME", "NOTE")
	for _, p := range f.Pagekites {
		pid := "-"
		if p.PID > 0 {
			pid = strconv.Itoa(p.PID)
		}
		pt.row(p.Name, pid, p.State, strconv.Itoa(p.RestartsInWindow),
			dash(p.NextRestartAllowed), p.Cooldown, dash(p.CooldownUntil), dash(p.LastOutcome), p.Note)
	}
	pt.write(w)
	fmt.Fprintln(w)
	var kt table
	kt.row("KITE", "PAGEKITE", "STATE", "SINCE", "VERDICT", "COUNT", "DEADLINE", "RESTARTS", "NOTE")
	for _, k := range f.Kites {
		note := k.Note
		if note == "" {
			note = k.Detail
		}
		state := k.State
		if k.Held != "" {
			// No restart can come while it stays so; the note says why.
			state += " (held)"
			if note == "" || note == k.Detail {
				note = "held: " + k.Held
			}
		}
		kt.row(k.Name, dash(k.Pagekite), state, dash(k.Since), dash(k.Verdict), strconv.Itoa(k.Count),
			dash(k.Deadline), strconv.Itoa(k.RestartsInWindow), note)
	}
	kt.write(w)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// alive reports whether a process with this PID exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
