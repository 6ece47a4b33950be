package status

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/atomicfile"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// File is the JSON document in the status file. Times are RFC 3339 strings,
// empty when there is no such time.
type File struct {
	Updated string `json:"updated"`
	PID     int    `json:"pid"`
	Version string `json:"version"`
	Started string `json:"started"`
	DryRun  bool   `json:"dry_run"`
	// ConfigError is the last config reload error, empty when the running
	// config is the one on disk.
	ConfigError string `json:"config_error,omitempty"`
	// RestartNeeded lists the config keys whose reloaded value takes
	// effect only after a restart of pkwatchdogd.
	RestartNeeded []string `json:"restart_needed,omitempty"`
	// Pagekites are the PageKite instances, what pkwatchdogd restarts.
	Pagekites []Pagekite `json:"pagekites"`
	Kites     []Kite     `json:"kites"`
}

// Pagekite is one PageKite instance in the status file.
type Pagekite struct {
	Name string `json:"name"`
	// Kind is pagekite.Py or pagekite.C, or pagekite.Unknown until known.
	Kind pagekite.Kind `json:"kind,omitempty"`
	// PID is its process when last looked for; 0 when none was found.
	PID int `json:"pid"`
	// State is idle, queued (a restart waits for the desk), restarting
	// or cooldown.
	State              string   `json:"state"`
	Kites              []string `json:"kites"`
	RestartsInWindow   int      `json:"restarts_in_window"`
	NextRestartAllowed string   `json:"next_restart_allowed"`
	// CooldownUntil ends the running cooldown; Cooldown is the length of
	// the last restart's cooldown (the configured one before the first).
	CooldownUntil string `json:"cooldown_until,omitempty"`
	Cooldown      string `json:"cooldown"`
	LastRestart   string `json:"last_restart,omitempty"`
	LastOutcome   string `json:"last_outcome,omitempty"`
	// Note says why a restart is held back or suppressed.
	Note string `json:"note,omitempty"`
}

// Kite is one kite's line in the status file.
type Kite struct {
	Name string `json:"name"`
	// Pagekite is the instance that flies the kite.
	Pagekite string `json:"pagekite"`
	State    string `json:"state"`
	Since    string `json:"since"`
	Verdict  string `json:"verdict"`
	Detail   string `json:"detail"`
	// Count is the number of consecutive kite-down verdicts in suspect.
	Count int `json:"count"`
	// Deadline is the end of the grace period or cooldown.
	Deadline           string `json:"deadline"`
	RestartsInWindow   int    `json:"restarts_in_window"`
	NextRestartAllowed string `json:"next_restart_allowed"`
	LastProbe          string `json:"last_probe,omitempty"`
	LastFlying         string `json:"last_flying,omitempty"`
	// Note says why a restart is held back or suppressed, or that PageKite
	// did not come back after one.
	Note        string `json:"note,omitempty"`
	LastRestart string `json:"last_restart,omitempty"`
	LastOutcome string `json:"last_outcome,omitempty"`
	// Held says why no restart can be due for the kite while it stays as
	// it is ("rejected by the relay": the kite waits in suspect, or its
	// restart or cooldown runs on); "" when nothing holds it.
	Held string `json:"held,omitempty"`
}

// FormatTime renders t for the status file: RFC 3339 in UTC, "" for zero.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// EncodeKite is k's line in the status file, for Write. Kite holds only
// strings and integers, which always encode.
func EncodeKite(k *Kite) []byte {
	line, err := json.Marshal(k)
	if err != nil {
		panic(fmt.Sprintf("status: encode kite %s: %v", k.Name, err))
	}
	return line
}

// Write replaces the status file at path atomically (no fsync: it lives
// under /run), mode 0644: head, with kites, each encoded by EncodeKite, in
// place of head.Kites. A writer that keeps each kite's line encoded as the
// kite changes encodes nothing else when it rewrites the file, which with
// thousands of kites rewritten about once a second is most of the cost.
//
// The file is compact JSON with one kite per line: readable with grep and
// a pager. Its directory must be one that safefile.TrustDir trusts, else
// nothing is written and the error wraps safefile.ErrUntrustedDir.
func Write(path string, head *File, kites [][]byte) error {
	h := *head
	h.Kites = nil
	data, err := json.Marshal(&h)
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	// data ends with "kites":null}: open the array instead.
	const tail = "null}"
	if !bytes.HasSuffix(data, []byte(tail)) {
		return fmt.Errorf("encode status: unexpected encoding %q", data[max(0, len(data)-20):])
	}
	// Never into a directory another user can swap (or did: a symlink in
	// its place or among its parents): checked at every write, since the
	// daemon runs for months.
	if err := safefile.TrustDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("write status file: %w", err)
	}
	// Streamed to the file: with 5000 kites the file is 2.5 MB, which
	// need not be assembled in memory first. The temporary file is made
	// with O_EXCL (never through a symlink) and renamed over path (a
	// symlink there is replaced, not followed).
	err = atomicfile.ReplaceFunc(path, 0o644, func(w io.Writer) error {
		return writeKites(w, data[:len(data)-len(tail)], kites)
	})
	if err != nil {
		return fmt.Errorf("write status file: %w", err)
	}
	return nil
}

// writeKites writes head (the file up to its kites array), the array of
// kites, one per line, and the end.
func writeKites(w io.Writer, head []byte, kites [][]byte) error {
	if _, err := w.Write(head); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "[\n"); err != nil {
		return err
	}
	for i, k := range kites {
		if _, err := w.Write(k); err != nil {
			return err
		}
		sep := ",\n"
		if i == len(kites)-1 {
			sep = "\n"
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]}\n")
	return err
}

// ErrNoStatus means there is no status file: the daemon is not running, or
// has never run with this status_file.
var ErrNoStatus = errors.New("no status file")

// maxStatusFile bounds what Read reads: ~1 KiB per kite.
const maxStatusFile = 64 << 20

// Read loads the status file at path. A missing file is ErrNoStatus; a file
// that is not valid JSON is an error that says so.
func Read(path string) (*File, error) {
	// Bounded and non-blocking: a FIFO in its place is an error, not a hang.
	data, err := safefile.ReadFile(path, maxStatusFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoStatus)
	}
	if err != nil {
		return nil, fmt.Errorf("read status file: %w", err)
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("status file %s is not valid: %w", path, err)
	}
	return &f, nil
}
