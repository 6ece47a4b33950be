package action

import "errors"

// Sentinel errors of Find and Inspect; callers branch with errors.Is. A stale
// pid file wraps ErrStalePIDFile together with ErrNotFound (its PID is gone)
// or ErrNotPageKite (its PID now belongs to another program).
var (
	// ErrNotFound: no PageKite process is running.
	ErrNotFound = errors.New("no pagekite process found")
	// ErrAmbiguous: more than one process matches; nothing is signalled.
	ErrAmbiguous = errors.New("more than one pagekite process")
	// ErrStalePIDFile: the pid file names a PID that is not PageKite.
	ErrStalePIDFile = errors.New("stale pid file")
	// ErrBadPIDFile: the pid file does not hold one positive PID.
	ErrBadPIDFile = errors.New("bad pid file")
	// ErrNotPageKite: the process is not PageKite, is the watchdog itself or
	// PID 1, or changed since it was checked.
	ErrNotPageKite = errors.New("process is not pagekite")
)
