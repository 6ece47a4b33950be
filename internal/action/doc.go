// Package action restarts PageKite when the watchdog has decided that a kite
// is down: it finds the PageKite process (pid file, systemd unit or a /proc
// scan), proves that it is PageKite and that the PID was not reused (pidfd),
// asks it for diagnostics, records whether a core dump can come, kills it
// with SIGSEGV (SIGKILL after a timeout), waits for its supervisor to start a
// new one (or runs a start command), and finds the core file if one was
// written. Every step is recorded in a Result, which goes into the status
// file and the crash report.
//
// Three methods:
//
//   - "signal" (default): the signals above, sent through a pidfd.
//   - "systemd": the process signalled must be the unit's MainPID (asked
//     with systemctl); everything else as for "signal".
//   - "command": an administrator's command (argv, no shell) does the restart.
package action
