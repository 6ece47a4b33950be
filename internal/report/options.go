package report

import "time"

// Defaults for the zero values of Options and UploadOptions.
const (
	DefaultLogLines = 2000
	DefaultKeep     = 5
	DefaultMaxBytes = 64 << 20
	DefaultURL      = "https://pagekite.net/cgi-bin/crashes.pl"
	DefaultTimeout  = 60 * time.Second
	DefaultTries    = 3
)

// Options configure a Builder.
type Options struct {
	// StateDir holds the reports/ directory.
	StateDir string
	// LogFile is pagekite.py's --logfile; its rotated siblings (.1, .2.gz,
	// ...) are read when the window reaches back. JournalUnit, when set,
	// takes the log from the journal instead.
	LogFile, JournalUnit string
	// LogLines bounds the log in a bundle (default DefaultLogLines).
	LogLines int
	// IncludeCore puts the core dump in the bundle. Cores hold secrets in
	// clear text: off by default.
	IncludeCore bool
	// Keep and MaxBytes bound the saved bundles: the newest Keep (default
	// DefaultKeep) and at most MaxBytes (default DefaultMaxBytes) in all.
	Keep     int
	MaxBytes int64
	// Version is pkwatchdogd's own version.
	Version string
	// Journalctl is the journalctl command (default: "journalctl" on PATH).
	Journalctl string
}

func (o Options) withDefaults() Options {
	if o.LogLines <= 0 {
		o.LogLines = DefaultLogLines
	}
	if o.Keep <= 0 {
		o.Keep = DefaultKeep
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Journalctl == "" {
		o.Journalctl = "journalctl"
	}
	return o
}
