package report

import (
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// Names of the members of a bundle. LogMember is the member the original
// pagekite_watchdog.sh sent, under the same name: the scrubbed log.
const (
	LogMember  = "root/pagekite-restart.log.gz"
	JSONMember = "report.json"
	CoreMember = "core.gz"
)

// UploadName is the file name a bundle about kite is uploaded under,
// KITE-DOWN.tar as the original script sent it (foo.pagekite.me-DOWN.tar):
// PageKite.net files reports by it.
func UploadName(kite string) string { return safeName(kite) + "-DOWN.tar" }

// Input is what the watchdog knows about one restart of a PageKite
// instance. Kites, History, Probes and Restart are JSON-marshalable values
// from other packages; they go into report.json, redacted.
type Input struct {
	// Kite is the first kite of the instance that was confirmed down: the
	// bundle is named after it.
	Kite string
	// Instance is the PageKite instance restarted; Kites every kite it
	// flies, with its last verdicts.
	Instance string
	Kites    any
	Reason   string
	// LogFile and JournalUnit are the instance's log (the journal when
	// JournalUnit is set); both empty: Options.LogFile, JournalUnit.
	LogFile, JournalUnit string
	// LogCommand, when set, is a command whose output is the log (OpenWrt's
	// logread); it wins over both.
	LogCommand []string
	// DryRun: the instance is a dry run (nothing was signalled); the
	// report is saved, never uploaded.
	DryRun bool
	// At is when the failure was acted on (default: now).
	At time.Time
	// LastFlying is when the kite was last seen flying; zero if never. The
	// log in the bundle reaches back at least to it.
	LastFlying time.Time
	History    any
	Probes     any
	Restart    any
	// Diagnostics are the diagnostics signals sent before the kill, at
	// DiagnosticsAt; report.json counts the dump lines they left in the
	// harvested log.
	Diagnostics   []string
	DiagnosticsAt time.Time
	// Kind is the PageKite restarted, Exe its executable and StatusFile
	// pagekitec's -Y file: for the program and version report.json names.
	Kind            pagekite.Kind
	Exe, StatusFile string
	// Status is StatusFile as it was just before the restart
	// (SnapshotStatus); nil means read StatusFile when the report is made
	// (pkwatchdogd report).
	Status *StatusSnapshot
	// Stacks is where the process was stuck, read by the restart before
	// its signals (nil: not read, e.g. pkwatchdogd report).
	Stacks *stacks.Snapshot
	// CorePath and CoreSize locate the core dump, if one was written.
	CorePath string
	CoreSize int64
}

// Bundle is a saved crash report.
type Bundle struct {
	// Kite names the bundle on upload (UploadName).
	Kite    string
	Path    string
	Size    int64
	Members []Member
}

// Member is one file in a bundle.
type Member struct {
	Name string
	Size int64
}
