package pklog

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

const (
	// MaxTail is how much of the end of a log file Source reads.
	MaxTail = 256 << 10
	// journalLines is how many journal lines Source reads.
	journalLines = 2000
	// journalTimeout bounds one journalctl run.
	journalTimeout = 10 * time.Second
	// journalTTL is how long one journal read serves every kite of the
	// instance: journalctl costs a process.
	journalTTL = 15 * time.Second
	// maxLine cuts overlong lines.
	maxLine = 8 << 10
)

// Source is the log of one PageKite instance: a file (LogFile) or a
// systemd unit's journal (JournalUnit, which wins when both are set, as
// in crash reports). It is safe for concurrent use; the kites of one
// instance share it. The zero Source reads nothing.
type Source struct {
	LogFile     string
	JournalUnit string
	// Command, when set, is a command whose output is the log (OpenWrt's
	// ["logread", "-e", "pagekitec"]); it wins over JournalUnit and
	// LogFile, and is read like the journal (cached for journalTTL).
	Command []string
	// StatusFile is pagekitec's -Y status file, "" for none: a status
	// "rejected" there is a rejection of every kite of the instance.
	StatusFile string
	// Owner is PageKite's uid (restart.user), 0 when not known: StatusFile
	// and LogFile count only when they are regular files of root,
	// pkwatchdogd's user or Owner, writable by no one else (Trust).
	Owner int
	// Journalctl is the journalctl binary; "" means "journalctl" on PATH.
	Journalctl string
	// Pagekitec: the log is libpagekite's (pagekitec), not pagekite.py's;
	// each writes its rejections in its own shape (Scan).
	Pagekitec bool

	mu   sync.Mutex // guards the fields below
	seen *Seen
	// held is the rejection the status file last showed, at heldSeen:
	// it stands while pagekitec retries (StatusHold).
	held     *Rejection
	heldSeen time.Time
	// key is the file's size and mtime when seen was read; read is when
	// the journal was.
	key  fileKey
	read time.Time
	// missing is why the log file could not be looked at, at missingAt:
	// a log that is not there is looked for again after journalTTL, not
	// at every kite-down.
	missing   error
	missingAt time.Time
}

type fileKey struct {
	size  int64
	mtime time.Time
}

// Name says where the log is, for messages: the file, or journal:UNIT.
func (s *Source) Name() string {
	if len(s.Command) > 0 {
		return "command:" + strings.Join(s.Command, " ")
	}
	if s.JournalUnit != "" {
		return "journal:" + s.JournalUnit
	}
	return s.LogFile
}

// StatusHold is how long a "rejected" in pagekitec's status file holds
// after it was last seen while the status shows pagekitec trying again
// (startup, connecting, updating_dns): pagekitec retries about every
// 60 s and shows "connecting" for a few seconds each time, and a retry
// is no cure. A connect that was not followed by a rejection within
// StatusHold, "flying", "problems" or "no_network" ends it.
const StatusHold = 5 * time.Minute

// Rejection returns the rejection that PageKite's log, or pagekitec's
// status file, shows standing for kite at now. A log that cannot be read
// shows none, and its error says why; a rejection read earlier still
// stands then, until a read shows the kite connected.
func (s *Source) Rejection(ctx context.Context, kite string, now time.Time) (Rejection, bool, error) {
	if s == nil {
		return Rejection{}, false, nil
	}
	r, ok, untrusted := s.statusRejection(kite, now)
	if ok {
		return r, true, nil
	}
	if s.LogFile == "" && s.JournalUnit == "" && len(s.Command) == 0 {
		return Rejection{}, false, untrusted
	}
	seen, err := s.scan(ctx, now)
	r, ok = seen.For(kite, now)
	if ok {
		r.Source = s.Name()
	}
	return r, ok, errors.Join(untrusted, err)
}

// ReadStatus reads the status file as verdicts do (ReadStatusTrusted).
func (s *Source) ReadStatus() (Status, error) {
	return ReadStatusTrusted(s.StatusFile, s.Owner)
}

// Trust says why the status file or the log file, as they are now, do
// not count for verdicts (for validate); nil when both do, or are not
// there.
func (s *Source) Trust() error {
	var errs []error
	if s.StatusFile != "" {
		errs = append(errs, safefile.CheckTrusted(s.StatusFile, s.Owner))
	}
	if s.LogFile != "" && s.JournalUnit == "" && len(s.Command) == 0 {
		errs = append(errs, safefile.CheckTrusted(s.LogFile, s.Owner))
	}
	return errors.Join(errs...)
}

// statusRejection is the rejection pagekitec's status file shows for kite
// at now, held across its retries (StatusHold). untrusted is why the file
// was not believed: then it shows none, and a rejection it showed before
// no longer holds.
func (s *Source) statusRejection(kite string, now time.Time) (r Rejection, ok bool, untrusted error) {
	if s.StatusFile == "" {
		return Rejection{}, false, nil
	}
	st, err := s.ReadStatus()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case errors.Is(err, safefile.ErrUntrustedFile):
		s.held = nil
		return Rejection{}, false, err
	case err == nil && st.Status == "rejected":
		s.held = &Rejection{Reason: "pagekitec status rejected", At: st.Updated, Source: "pagekitec status file " + s.StatusFile}
		s.heldSeen = now
	case err == nil && st.Status != "startup" && st.Status != "connecting" && st.Status != "updating_dns":
		s.held = nil
	}
	if s.held == nil || now.Sub(s.heldSeen) >= StatusHold || now.Before(s.heldSeen) {
		return Rejection{}, false, nil
	}
	r = *s.held
	r.Kite = kite
	return r, true, nil
}

// scan returns the Seen of the log, read again only when it changed (a
// file) or its cached read is older than journalTTL (the journal).
func (s *Source) scan(ctx context.Context, now time.Time) (*Seen, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.JournalUnit != "" || len(s.Command) > 0 {
		if s.seen != nil && now.Sub(s.read) < journalTTL && !now.Before(s.read) {
			return s.seen, nil
		}
		lines, err := s.journal(ctx)
		if err != nil {
			return s.seen, err
		}
		s.seen, s.read = Scan(lines, s.Pagekitec).after(s.seen), now
		return s.seen, nil
	}
	if s.missing != nil && now.Sub(s.missingAt) < journalTTL && !now.Before(s.missingAt) {
		return s.seen, s.missing
	}
	st, err := os.Stat(s.LogFile)
	if err != nil {
		s.missing, s.missingAt = fmt.Errorf("read pagekite log: %w", err), now
		return s.seen, s.missing
	}
	s.missing = nil
	if !st.Mode().IsRegular() {
		return s.seen, fmt.Errorf("read pagekite log %s: not a regular file", s.LogFile)
	}
	key := fileKey{st.Size(), st.ModTime()}
	if s.seen != nil && key == s.key {
		return s.seen, nil
	}
	lines, err := tailFile(s.LogFile, s.Owner)
	if err != nil {
		return s.seen, err
	}
	s.seen, s.key = Scan(lines, s.Pagekitec).after(s.seen), key
	return s.seen, nil
}

// tailFile returns the lines of the last MaxTail bytes of path (the first,
// cut, line dropped when the file is longer). It opens without blocking
// and without following a symlink, and reads only a file owner (or root,
// or pkwatchdogd's user) wrote (safefile.OpenTrusted): a FIFO put in the
// log's place cannot hang it, and another user's log is no verdict.
func tailFile(path string, owner int) ([]string, error) {
	f, err := safefile.OpenTrusted(path, owner)
	if err != nil {
		return nil, fmt.Errorf("read pagekite log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read pagekite log: %w", err)
	}
	from := max(st.Size()-MaxTail, 0)
	r := io.NewSectionReader(f, from, MaxTail)
	lines, err := readLines(r)
	if err != nil {
		return nil, fmt.Errorf("read pagekite log %s: %w", path, err)
	}
	if from > 0 && len(lines) > 0 {
		lines = lines[1:]
	}
	return lines, nil
}

// readLines splits r into lines, each cut to maxLine bytes.
func readLines(r io.Reader) ([]string, error) {
	br := bufio.NewReaderSize(r, 32<<10)
	var out []string
	for {
		line, err := br.ReadSlice('\n')
		long := errors.Is(err, bufio.ErrBufferFull)
		if len(line) > 0 {
			out = append(out, string(bytes.TrimRight(line[:min(len(line), maxLine)], "\r\n")))
		}
		for long { // skip the rest of an overlong line
			_, err = br.ReadSlice('\n')
			long = errors.Is(err, bufio.ErrBufferFull)
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// journal reads the log's command (Command, or journalctl for the unit's
// last journalLines lines, each with its UNIX time in front), keeping the
// last MaxTail bytes of its output.
func (s *Source) journal(ctx context.Context) ([]string, error) {
	argv := s.Command
	if len(argv) == 0 {
		bin := s.Journalctl
		if bin == "" {
			bin = "journalctl"
		}
		argv = []string{bin, "-u", s.JournalUnit, "-o", "short-unix", "--no-pager", "-q", "-n", strconv.Itoa(journalLines)}
	}
	out, cut, err := RunCommand(ctx, argv, journalTimeout, MaxTail)
	if err != nil {
		return nil, fmt.Errorf("read pagekite log: %w", err)
	}
	lines, err := readLines(bytes.NewReader(out))
	if cut && len(lines) > 0 {
		lines = lines[1:]
	}
	return lines, err
}
