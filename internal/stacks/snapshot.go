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
	// Python are pagekite.py's Python stacks read from its memory
	// (pymem), PythonVersion its CPython's ("3.11.2"); PythonNote says why
	// there are none, or why they are partial, and how the process was
	// held for the read.
	Python        []PyThread
	PythonVersion string
	PythonNote    string
	// PythonRunTimes are the threads' run times (RunTimes) read while the
	// process was held for the read from memory, for MarkRan.
	PythonRunTimes map[int]uint64
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
