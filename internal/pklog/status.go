package pklog

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// maxStatusFile bounds the -Y status file read: pagekitec's is ~200 bytes.
const maxStatusFile = 16 << 10

// Status is pagekitec's -Y status file.
type Status struct {
	Version string
	// Status is startup, connecting, updating_dns, flying, problems,
	// rejected or no_network.
	Status      string
	Code        int
	PID         int
	MinInterval time.Duration
	Updated     time.Time
}

// Stale reports whether the file was last written more than three of its
// update intervals before now: pagekitec rewrites it at least that often
// while it runs, so a stale one points at a hung process.
func (s Status) Stale(now time.Time) bool {
	if s.Updated.IsZero() || s.MinInterval <= 0 {
		return false
	}
	return now.Sub(s.Updated) > 3*s.MinInterval
}

// ReadStatus reads pagekitec's status file at path, in either of its
// formats (json, or text "key: value" lines), whoever wrote it: for the
// evidence a crash report shows. Verdicts read it with ReadStatusTrusted.
func ReadStatus(path string) (Status, error) {
	data, err := safefile.ReadFile(path, maxStatusFile)
	if err != nil {
		return Status{}, fmt.Errorf("read pagekitec status file: %w", err)
	}
	return parseStatus(path, data)
}

// ReadStatusTrusted is ReadStatus for a file whose word is acted on: only
// a regular file of root, pkwatchdogd's user or owner (PageKite's uid),
// writable by no one else, opened without following a symlink; else the
// error wraps safefile.ErrUntrustedFile (#30: a status file planted by
// nobody in a sticky directory silenced every restart).
func ReadStatusTrusted(path string, owner int) (Status, error) {
	data, err := safefile.ReadTrusted(path, maxStatusFile, owner)
	if err != nil {
		return Status{}, fmt.Errorf("read pagekitec status file: %w", err)
	}
	return parseStatus(path, data)
}

// parseStatus parses the status file read from path.
func parseStatus(path string, data []byte) (Status, error) {
	fields := map[string]string{}
	var js map[string]any
	if err := json.Unmarshal(data, &js); err == nil {
		for k, v := range js {
			fields[k] = fmt.Sprint(v)
			if f, ok := v.(float64); ok {
				fields[k] = strconv.FormatInt(int64(f), 10)
			}
		}
	} else {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	}
	st := Status{Version: fields["pagekitec_version"], Status: fields["pagekitec_status"]}
	if st.Status == "" {
		return Status{}, fmt.Errorf("pagekitec status file %s: no pagekitec_status", path)
	}
	st.Code, _ = strconv.Atoi(fields["pagekitec_status_code"])
	st.PID, _ = strconv.Atoi(fields["pagekitec_pid"])
	if n, err := strconv.Atoi(fields["pagekitec_update_min_interval"]); err == nil {
		st.MinInterval = time.Duration(n) * time.Second
	}
	if n, err := strconv.ParseInt(fields["pagekitec_update_ts"], 10, 64); err == nil && n > 0 {
		st.Updated = time.Unix(n, 0)
	}
	return st, nil
}
