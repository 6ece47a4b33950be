package action

import (
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// Outcomes of a restart (Result.Outcome).
const (
	// OutcomeRestarted: PageKite was killed and its supervisor started a new one.
	OutcomeRestarted = "restarted"
	// OutcomeRestartedByCommand: a new PageKite came after StartCommand
	// (or, for method "command", after Command).
	OutcomeRestartedByCommand = "restarted-by-command"
	// OutcomeNotRespawned: PageKite was killed (or the command ran) but no
	// new PageKite came.
	OutcomeNotRespawned = "not-respawned"
	// OutcomeNoProcess: no PageKite was running and there was no
	// StartCommand.
	OutcomeNoProcess = "no-process"
	// OutcomeRefused: the process could not be proven to be PageKite (stale
	// or bad pid file, several candidates, not PageKite, PID reused).
	OutcomeRefused = "refused"
	// OutcomeDryRun: DryRun was set; nothing was signalled.
	OutcomeDryRun = "dry-run"
	// OutcomeFailed: a step failed (signal, D-Bus, command, process would
	// not die).
	OutcomeFailed = "failed"
)

// Result records one restart for the status file and the crash report.
type Result struct {
	Method string `json:"method"`
	// PID is the killed (or, for a dry run, the found) process; NewPID its
	// successor.
	PID    int `json:"pid,omitempty"`
	NewPID int `json:"new_pid,omitempty"`
	// Program and Kind describe the PageKite process (no arguments).
	Program string        `json:"program,omitempty"`
	Kind    pagekite.Kind `json:"kind,omitempty"`
	// Exe is the process's executable (/proc/PID/exe).
	Exe string `json:"exe,omitempty"`
	// Source says where the PID came from: "pidfile", "unit" or "scan".
	Source  string `json:"source,omitempty"`
	Signal  string `json:"signal"`
	Outcome string `json:"outcome"`
	// Reason explains a refusal or failure, or an outcome's detail.
	Reason string `json:"reason,omitempty"`
	// Escalated: the process outlived KillTimeout and got SIGKILL.
	Escalated bool `json:"escalated"`
	// Diagnostics: the diagnostics signals were sent: DiagnosticsSent, in
	// order, at DiagnosticsAt.
	Diagnostics     bool        `json:"diagnostics"`
	DiagnosticsSent []string    `json:"diagnostics_sent,omitempty"`
	DiagnosticsAt   time.Time   `json:"diagnostics_at,omitzero"`
	Outlook         CoreOutlook `json:"core_outlook"`
	Core            *CoreFile   `json:"core,omitempty"`
	// Stacks is where the process was stuck, read before any signal; it
	// goes into the crash report's stacks, not into the status file.
	Stacks *stacks.Snapshot `json:"-"`
	// Started is when the kill signal (or Command) was sent, Exited when the
	// process was seen to exit, Respawned when its successor was found.
	Started        time.Time `json:"started,omitzero"`
	Exited         time.Time `json:"exited,omitzero"`
	Respawned      time.Time `json:"respawned,omitzero"`
	ExitAfterMS    int64     `json:"exit_after_ms,omitempty"`
	RespawnAfterMS int64     `json:"respawn_after_ms,omitempty"`
}
