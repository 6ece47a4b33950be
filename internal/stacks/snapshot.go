package stacks

import "time"

// Snapshot is what a restart read of where PageKite was stuck, just before
// its first signal (diagnostics or kill): the state as found, before a
// SIGCONT or a dump changed it.
type Snapshot struct {
	PID     int
	At      time.Time
	Threads []Thread
	// ThreadsErr says why Threads is empty.
	ThreadsErr string
	// Faulthandler is pagekite.py's (nil for pagekitec): on, its Python
	// tracebacks come into the log with the SIGSEGV.
	Faulthandler *Faulthandler
	// Native are frames from NativeSource ("eu-stack", "gdb"); NativeNote
	// says why there are none, or that systemd-coredump gives them after
	// the kill (NativeFromCoredump).
	Native             []NativeThread
	NativeSource       string
	NativeNote         string
	NativeFromCoredump bool
}
