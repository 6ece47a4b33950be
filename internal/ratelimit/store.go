package ratelimit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/atomicfile"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// ErrCorrupt is wrapped by the warning Open returns when the state file
// could not be read or parsed.
var ErrCorrupt = errors.New("rate limit state unreadable")

// fileVersion is the version of the state file's format: 2 keys restarts
// by PageKite instance; 1 (pkwatchdogd before instances) keyed them by kite.
const (
	fileVersion   = 2
	legacyVersion = 1
)

// state is the JSON form of the state file. Times are wall-clock times.
type state struct {
	Version int `json:"version"`
	// Restarts are keyed by PageKite instance (by kite in version 1).
	Restarts map[string][]time.Time `json:"restarts"`
	// Legacy holds the restarts read from a version 1 file until
	// CarryLegacy gives them to an instance.
	Legacy []time.Time `json:"legacy_restarts,omitempty"`
	Upload struct {
		LastAccepted time.Time `json:"last_accepted,omitzero"`
		LastAttempt  time.Time `json:"last_attempt,omitzero"`
	} `json:"upload"`
	// Cautious is set when the state was lost: every instance's restart
	// window is full as of this time, including instances not yet seen.
	Cautious time.Time `json:"cautious_since,omitzero"`
}

// Store is the persistent restart budget of every PageKite instance and the
// upload limiter of the machine. It is safe for concurrent use; the restart
// desk is its one writer of restarts.
type Store struct {
	path string

	// mu guards everything below.
	mu       sync.Mutex
	restarts map[string]*Window
	legacy   []time.Time
	upload   Upload
	cautious time.Time
	max      int
	period   time.Duration
}

// Open loads the store from path, which need not exist (a fresh start).
// restartMax restarts are allowed per instance in any restartWindow; uploads
// follow Upload with uploadMinInterval and uploadRetry.
//
// Return shapes:
//   - (s, nil, nil): loaded, or fresh start. A version 1 file (restarts
//     keyed by kite) is loaded too: its restarts wait for CarryLegacy.
//   - (s, warning, nil): the file was unreadable or corrupt; it was renamed
//     to PATH.corrupt-UNIXTIME and s starts cautious (an upload was just
//     made, every instance's restart window is full as of now). The warning
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
	data, err := safefile.ReadFile(path, maxStateSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err == nil:
		var st state
		if err = json.Unmarshal(data, &st); err == nil && st.Version != fileVersion && st.Version != legacyVersion {
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
	s.legacy = st.Legacy
	for key, times := range st.Restarts {
		if st.Version == legacyVersion {
			// Version 1 could restart only one process, whichever kite
			// asked: every restart it recorded was of that process.
			s.legacy = append(s.legacy, times...)
			continue
		}
		s.restarts[key] = &Window{Max: s.max, Period: s.period, Events: times}
	}
	s.upload.LastAccepted = st.Upload.LastAccepted
	s.upload.LastAttempt = st.Upload.LastAttempt
	s.cautious = st.Cautious
}

// MaxCorrupt is how many set-aside PATH.corrupt-* files are kept: the
// newest, for a person to look at; older ones are removed.
const MaxCorrupt = 5

// maxStateSize bounds the state file read: it holds at most MaxRestarts
// times per instance.
const maxStateSize = 4 << 20

// pruneCorrupt removes all but the newest keep PATH.corrupt-UNIXTIME files.
func pruneCorrupt(path string, keep int) {
	matches, err := filepath.Glob(path + ".corrupt-*")
	if err != nil || len(matches) <= keep {
		return
	}
	stamp := func(name string) int64 {
		n, _ := strconv.ParseInt(strings.TrimPrefix(name, path+".corrupt-"), 10, 64)
		return n
	}
	sort.Slice(matches, func(i, j int) bool { return stamp(matches[i]) > stamp(matches[j]) })
	for _, old := range matches[keep:] {
		_ = os.Remove(old)
	}
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
	pruneCorrupt(s.path, MaxCorrupt)
	return fmt.Errorf("%w: %s: %w; kept as %s; starting cautious: no upload and no restart for a full window", ErrCorrupt, s.path, cause, kept)
}

// CarryLegacy gives the restarts read from a version 1 state file to
// instance, or drops them when instance is empty, and saves the state. It
// returns how many restarts were carried over or dropped (0: there were
// none).
func (s *Store) CarryLegacy(instance string, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.legacy)
	if n == 0 {
		return 0, nil
	}
	if instance != "" {
		w := s.windowLocked(instance)
		w.Events = append(w.Events, s.legacy...)
		w.normalize(now)
	}
	s.legacy = nil
	return n, s.saveLocked(now)
}

// SetLimits replaces the restart budget's limits (config reload); the
// recorded restarts are kept.
func (s *Store) SetLimits(restartMax int, restartWindow time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.max, s.period = restartMax, restartWindow
}

// SetUploadInterval replaces the minimum interval between two uploads
// (config reload); the recorded uploads are kept.
func (s *Store) SetUploadInterval(minInterval time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upload.MinInterval = minInterval
}

// Limits returns the restart limits: at most restartMax restarts of an
// instance in any restartWindow.
func (s *Store) Limits() (restartMax int, restartWindow time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max, s.period
}

// windowLocked returns instance's window, creating it empty.
func (s *Store) windowLocked(instance string) *Window {
	w, ok := s.restarts[instance]
	if !ok {
		w = &Window{}
		s.restarts[instance] = w
	}
	w.Max, w.Period = s.max, s.period
	return w
}

// cautiousLocked reports whether a lost state still counts at now: every
// instance's window is then taken as full since s.cautious, without a
// recorded event per assumed restart.
func (s *Store) cautiousLocked(now time.Time) bool {
	return !s.cautious.IsZero() && now.Sub(s.cautious) < s.period
}

// RestartAllowed reports whether instance may be restarted at now; if not,
// freeAt is when it may (zero: never, as with max_restarts = 0).
func (s *Store) RestartAllowed(instance string, now time.Time) (ok bool, freeAt time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.windowLocked(instance)
	if s.max <= 0 {
		return false, time.Time{}
	}
	free := w.NextAllowed(now)
	if s.cautiousLocked(now) {
		// As for recorded events, a time far ahead (a wrong clock) blocks
		// for at most two periods.
		since := s.cautious
		if limit := now.Add(s.period); since.After(limit) {
			since = limit
		}
		free = maxTime(free, since.Add(s.period))
	}
	if !free.After(now) {
		return true, now
	}
	return false, free
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// RecordRestart records a restart of instance at now and saves the state.
func (s *Store) RecordRestart(instance string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.windowLocked(instance).Record(now)
	return s.saveLocked(now)
}

// RestartsInWindow returns the restarts of instance in the window ending
// at now; after a loss of state, at least max_restarts (assumed).
func (s *Store) RestartsInWindow(instance string, now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.windowLocked(instance).Count(now)
	if s.cautiousLocked(now) {
		n = max(n, s.max)
	}
	return n
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
	st := state{Version: fileVersion, Restarts: make(map[string][]time.Time), Legacy: s.legacy}
	for key, w := range s.restarts {
		w.normalize(now)
		if len(w.Events) == 0 {
			continue
		}
		times := make([]time.Time, len(w.Events))
		for i, e := range w.Events {
			times[i] = e.Round(0)
		}
		st.Restarts[key] = times
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
