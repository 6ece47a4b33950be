package report

import "time"

// Names of the files in and of a bundle.
const (
	// UploadName is the file name a bundle is uploaded under.
	UploadName = "KITE-DOWN.tar"
	// LogMember, JSONMember and CoreMember are the members of the tar.
	LogMember  = "pagekite-restart.log.gz"
	JSONMember = "report.json"
	CoreMember = "core.gz"
)

// Input is what the watchdog knows about one failure. History, Probes and
// Restart are JSON-marshalable values from other packages; they go into
// report.json, redacted.
type Input struct {
	Kite   string
	Reason string
	// At is when the failure was acted on (default: now).
	At time.Time
	// LastFlying is when the kite was last seen flying; zero if never. The
	// log in the bundle reaches back at least to it.
	LastFlying time.Time
	History    any
	Probes     any
	Restart    any
	// CorePath and CoreSize locate the core dump, if one was written.
	CorePath string
	CoreSize int64
}

// Bundle is a saved crash report.
type Bundle struct {
	Path    string
	Size    int64
	Members []Member
}

// Member is one file in a bundle.
type Member struct {
	Name string
	Size int64
}
