package ratelimit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/atomicfile"
)

// ErrCorrupt is wrapped by the warning Open returns when the state file
// could not be read or parsed.
var ErrCorrupt = errors.New("rate limit state unreadable")

// fileVersion is the version of the state file's format.
const fileVersion = 1

// state is the JSON form of the state file. Times are wall-clock times.
type state struct {
	Version  int                    `json:"version"`
	Restarts map[string][]time.Time `json:"restarts"`
	Upload   struct {
		LastAccepted time.Time `json:"last_accepted,omitzero"`
		LastAttempt  time.Time `json:"last_attempt,omitzero"`
	} `json:"upload"`
	// Cautious is set when the state was lost: every kite's restart window
	// is full as of this time, including kites not yet seen.
	Cautious time.Time `json:"cautious_since,omitzero"`
}

// Store is the persistent restart budget of every kite and the upload
// limiter of the machine. It is safe for concurrent use.
type Store struct {
	path string

	// mu guards everything below.
	mu       sync.Mutex
	restarts map[string]*Window
	upload   Upload
	cautious time.Time
	max      int
	period   time.Duration
}

// Open loads the store from path, which need not exist (a fresh start).
// restartMax restarts are allowed per kite in any restartWindow; uploads
// follow Upload with uploadMinInterval and uploadRetry.
//
// Return shapes:
//   - (s, nil, nil): loaded, or fresh start.
//   - (s, warning, nil): the file was unreadable or corrupt; it was renamed
//     to PATH.corrupt-UNIXTIME and s starts cautious (an upload was just
//     made, every kite's restart window is full as of now). The warning
//     wraps ErrCorrupt and names the kept file.
//   - (nil, nil, err): the state could not be written (e.g. the state
//     directory is missing or not writable).
func Open(path string, restartMax int, restartWindow, uploadMinInterval, uploadRetry time.Duration, now time.Time) (s *Store, warning error, err error) {
	s = &Store{
		path:     path,
		restarts: make(map[string]*Window),
		max:      restartMax,
		period:   restartWindow,
		upload:   Upload{MinInterval: uploadMinInterval, RetryInterval: uploadRetry},
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err == nil:
		var st state
		if err = json.Unmarshal(data, &st); err == nil && st.Version != fileVersion {
			err = fmt.Errorf("unknown version %d", st.Version)
		}
		if err == nil {
			s.load(st)
			break
		}
		warning = s.keepAside(err, now)
	default:
		warning = s.keepAside(err, now)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.saveLocked(now); err != nil {
		return nil, nil, err
	}
	return s, warning, nil
}

func (s *Store) load(st state) {
	for kite, times := range st.Restarts {
		s.restarts[kite] = &Window{Max: s.max, Period: s.period, Events: times}
	}
	s.upload.LastAccepted = st.Upload.LastAccepted
	s.upload.LastAttempt = st.Upload.LastAttempt
	s.cautious = st.Cautious
}

// keepAside renames the unusable file out of the way and makes s cautious.
func (s *Store) keepAside(cause error, now time.Time) error {
	s.cautious = now
	s.upload.LastAccepted = now
	s.upload.LastAttempt = now
	kept := fmt.Sprintf("%s.corrupt-%d", s.path, now.Unix())
	if err := os.Rename(s.path, kept); err != nil {
		return fmt.Errorf("%w: %s: %w; could not keep it aside: %w; starting cautious", ErrCorrupt, s.path, cause, err)
	}
	return fmt.Errorf("%w: %s: %w; kept as %s; starting cautious: no upload and no restart for a full window", ErrCorrupt, s.path, cause, kept)
}

// windowLocked returns kite's window, creating it (full, if cautious).
func (s *Store) windowLocked(kite string) *Window {
	w, ok := s.restarts[kite]
	if !ok {
		w = &Window{}
		if !s.cautious.IsZero() {
			for range s.max {
				w.Events = append(w.Events, s.cautious)
			}
		}
		s.restarts[kite] = w
	}
	w.Max, w.Period = s.max, s.period
	return w
}

// RestartAllowed reports whether kite may be restarted at now; if not,
// freeAt is when it may.
func (s *Store) RestartAllowed(kite string, now time.Time) (ok bool, freeAt time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.windowLocked(kite)
	if w.Allow(now) {
		return true, now
	}
	return false, w.NextAllowed(now)
}

// RecordRestart records a restart of kite at now and saves the state.
func (s *Store) RecordRestart(kite string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.windowLocked(kite).Record(now)
	return s.saveLocked(now)
}

// RestartsInWindow returns the restarts of kite in the window ending at
// now (including those assumed after a loss of state).
func (s *Store) RestartsInWindow(kite string, now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.windowLocked(kite).Count(now)
}

// AllowUpload reports whether a crash report may be uploaded at now; if
// not, next is the earliest time it may and reason says why.
func (s *Store) AllowUpload(now time.Time) (ok bool, next time.Time, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.upload.Allow(now)
}

// RecordUploadAttempt records an upload attempt at now and saves the state.
func (s *Store) RecordUploadAttempt(now time.Time, accepted bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upload.Record(now, accepted)
	return s.saveLocked(now)
}

// saveLocked writes the state file. Times are saved as wall-clock times.
func (s *Store) saveLocked(now time.Time) error {
	st := state{Version: fileVersion, Restarts: make(map[string][]time.Time)}
	for kite, w := range s.restarts {
		w.normalize(now)
		if len(w.Events) == 0 {
			continue
		}
		times := make([]time.Time, len(w.Events))
		for i, e := range w.Events {
			times[i] = e.Round(0)
		}
		st.Restarts[kite] = times
	}
	s.upload.normalize(now)
	st.Upload.LastAccepted = s.upload.LastAccepted.Round(0)
	st.Upload.LastAttempt = s.upload.LastAttempt.Round(0)
	if !s.cautious.IsZero() && now.Sub(s.cautious) < s.period {
		st.Cautious = s.cautious.Round(0)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode rate limit state: %w", err)
	}
	if err := atomicfile.Write(s.path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save rate limit state: %w", err)
	}
	return nil
}
