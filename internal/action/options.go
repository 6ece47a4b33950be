package action

import (
	"fmt"
	"regexp"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// Restart methods (restart.method).
const (
	MethodSignal  = "signal"
	MethodSystemd = "systemd"
	MethodCommand = "command"
)

// Methods are the restart methods, for a config's method key.
func Methods() []string { return []string{MethodSignal, MethodSystemd, MethodCommand} }

// DefaultProcessPattern is the default restart.process_match. It is matched
// against the process's argv joined with spaces and accepts pagekite.py
// (/usr/bin/pagekite, pagekite.py, python3 [opts] /usr/bin/pagekite ...) and
// pagekitec as the program, not as an argument of another program (less,
// tail, an editor). A relay (--isfrontend or -f in argv) is excluded
// separately, because Go's regexp has no lookahead.
const DefaultProcessPattern = `^(\S*/)?(python[0-9.]*\s+(-\S+\s+)*)?(\S*/)?(pagekite(\.py)?|pagekitec)(\s|$)`

// NotPageKite are command lines of processes that run beside PageKite and
// must never be taken for it: a process_match that matches any of them
// matches too much (config validation rejects it).
var NotPageKite = []string{
	"",
	"/usr/bin/tail -F /var/log/pagekite/pagekite.log",
	"less /var/log/pagekite/pagekite.log",
	"vim /etc/pagekite.d/10_account.rc",
	"/bin/bash",
	"/sbin/init",
	"/lib/systemd/systemd --system --deserialize 31",
	"/usr/sbin/sshd -D",
	"/usr/sbin/cron -f",
	"/usr/bin/python3 /usr/bin/unattended-upgrade",
	"/usr/sbin/pkwatchdogd run --config /etc/pkwatchdogd/pkwatchdogd.toml",
	"sh -c pagekite",
}

// restart.stacks: whether a stack tool may be attached before the kill.
const (
	StacksAuto = "auto"
	StacksOff  = "off"
)

// MaxStacksTimeout bounds restart.stacks_timeout: the longest a stack tool
// may delay a restart.
const MaxStacksTimeout = 30 * time.Second

// DefaultSignal is the default restart.signal: a core dump, which the
// supervisor restarts.
const DefaultSignal = unix.SIGSEGV

// DefaultDiagnostics is the default restart.diagnostics: ask PageKite for
// its state before the kill.
const DefaultDiagnostics = true

// DefaultUnit is the default restart.unit.
const DefaultUnit = "pagekite.service"

// Defaults of the durations in Options.
const (
	DefaultDiagnosticsWait = 1 * time.Second
	DefaultKillTimeout     = 30 * time.Second
	DefaultRespawnTimeout  = 60 * time.Second
	DefaultCommandTimeout  = 60 * time.Second
)

// DefaultProcessMatch returns DefaultProcessPattern compiled.
func DefaultProcessMatch() *regexp.Regexp {
	return regexp.MustCompile(DefaultProcessPattern)
}

// Options configure a Restarter (the restart.* keys of the configuration).
type Options struct {
	// Method is MethodSignal, MethodSystemd or MethodCommand.
	Method string
	// PIDFile, when set, is the only source of the PID: a stale or bad pid
	// file means no signal, never a fall-back to a scan.
	PIDFile string
	// Unit is the systemd unit asked for its MainPID when PIDFile is empty;
	// empty means no unit. When systemctl cannot answer the lookup falls
	// through to the /proc scan.
	Unit string
	// ProcessMatch must match a process's argv (joined with spaces) for it
	// to be PageKite.
	ProcessMatch *regexp.Regexp
	// User is the user PageKite must run as (a name or a uid); "" means
	// the --runas=USER of its command line, or any user when it has none.
	User string
	// Signal is the kill signal (SIGSEGV by default, for a core dump).
	Signal unix.Signal
	// Diagnostics sends SIGUSR1 (pagekite.py) or SIGUSR2 (pagekitec) before
	// the kill and waits DiagnosticsWait for the log to be written.
	Diagnostics     bool
	DiagnosticsWait time.Duration
	// AttachStacks lets the restart read pagekite.py's Python stacks from
	// its memory (pymem.Read, holding it still with ptrace for the read),
	// and attach eu-stack or gdb (stacks.Native) for StacksTimeout before
	// the signals where no other source gives frames (restart.stacks =
	// "auto"). Threads' /proc states are read whatever it says.
	AttachStacks  bool
	StacksTimeout time.Duration
	// KillTimeout is how long the process has to exit before SIGKILL.
	KillTimeout time.Duration
	// RespawnTimeout is how long a supervisor has to start a new PageKite
	// (and again after StartCommand).
	RespawnTimeout time.Duration
	// CommandTimeout bounds StartCommand and Command.
	CommandTimeout time.Duration
	// StartCommand (argv, no shell) is run when no new PageKite came within
	// RespawnTimeout, or when none was running.
	StartCommand []string
	// Command (argv, no shell) is the restart for MethodCommand.
	Command []string
	// DryRun finds and proves the process and computes the core outlook,
	// but signals nothing and runs nothing.
	DryRun bool
}

// DefaultOptions returns the documented defaults: method "signal", unit
// pagekite.service, DefaultProcessMatch, SIGSEGV, diagnostics on.
func DefaultOptions() Options {
	return Options{
		Method:          MethodSignal,
		Unit:            DefaultUnit,
		ProcessMatch:    DefaultProcessMatch(),
		Signal:          DefaultSignal,
		Diagnostics:     DefaultDiagnostics,
		DiagnosticsWait: DefaultDiagnosticsWait,
		AttachStacks:    true,
		StacksTimeout:   stacks.DefaultTimeout,
		KillTimeout:     DefaultKillTimeout,
		RespawnTimeout:  DefaultRespawnTimeout,
		CommandTimeout:  DefaultCommandTimeout,
	}
}

// withDefaults fills zero Method, ProcessMatch, Signal and durations. It
// cannot tell an unset Diagnostics or Unit from a deliberate false or "":
// start from DefaultOptions for those.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Method == "" {
		o.Method = d.Method
	}
	if o.ProcessMatch == nil {
		o.ProcessMatch = d.ProcessMatch
	}
	if o.Signal == 0 {
		o.Signal = d.Signal
	}
	if o.DiagnosticsWait <= 0 {
		o.DiagnosticsWait = d.DiagnosticsWait
	}
	if o.StacksTimeout <= 0 {
		o.StacksTimeout = d.StacksTimeout
	}
	if o.KillTimeout <= 0 {
		o.KillTimeout = d.KillTimeout
	}
	if o.RespawnTimeout <= 0 {
		o.RespawnTimeout = d.RespawnTimeout
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = d.CommandTimeout
	}
	return o
}

// Describe says how o restarts, for validate: "command PATH", or the
// method, the signal and where the PID comes from.
func (o Options) Describe() string {
	switch {
	case o.Method == MethodCommand && len(o.Command) > 0:
		return "command " + o.Command[0]
	case o.PIDFile != "":
		return fmt.Sprintf("%s %s to the pid in %s", o.Method, unix.SignalName(o.Signal), o.PIDFile)
	case o.Unit != "":
		return fmt.Sprintf("%s %s to %s's main pid, else the one process matching process_match", o.Method, unix.SignalName(o.Signal), o.Unit)
	}
	return fmt.Sprintf("%s %s to the one process matching process_match", o.Method, unix.SignalName(o.Signal))
}
