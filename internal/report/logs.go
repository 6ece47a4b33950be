package report

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pklog"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

const (
	// maxLineBytes cuts overlong log lines.
	maxLineBytes = 8 << 10
	// maxRotated is how far back rotated logs are read (.1 to .9).
	maxRotated = 9
	// windowMargin is how much log before LastFlying is kept, to show
	// how the kite came down.
	windowMargin = 10 * time.Minute
	// minContextLines is how many lines a bundle's log holds at least
	// (within LogLines) when the window since LastFlying holds fewer,
	// say because PageKite was quiet.
	minContextLines = 100
	// journalTimeout bounds journalctl.
	journalTimeout = 30 * time.Second
	// maxFileBytes bounds what is read of each log file: the end of a
	// plain one, the first bytes decompressed of a gzipped one (a 2 MB
	// gzip may hold 2 GiB).
	maxFileBytes = 32 << 20
	// harvestTimeout bounds reading the log files of one report.
	harvestTimeout = 20 * time.Second
)

// ErrNoJournalctl: report.journal_unit is set but journalctl is missing.
var ErrNoJournalctl = errors.New("journalctl not found: report.journal_unit needs systemd's journal")

var (
	// lineTime finds pagekite.py's t=2026-11-23T23:40:48 (UTC).
	lineTime = regexp.MustCompile(`\bt=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)`)
	// startedLine finds pagekite.py's first line: started=...; version=...
	startedLine = regexp.MustCompile(`started=[^;]*; version=([^;\s]+)`)
)

// harvest is the log taken for a bundle.
type harvest struct {
	lines  []string
	source string
	// started is the last "started=...; version=..." line seen, even
	// outside the window: it names PageKite's version and reveals its
	// secrets (argv=) to the redactor.
	started string
}

// collectLog takes the log from the log command, the journal or the log
// file: the instance's (in), else the Options'.
func (b *Builder) collectLog(ctx context.Context, in Input, since time.Time) (harvest, error) {
	file, unit := in.LogFile, in.JournalUnit
	if file == "" && unit == "" && len(in.LogCommand) == 0 {
		file, unit = b.opts.LogFile, b.opts.JournalUnit
	}
	switch {
	case len(in.LogCommand) > 0:
		return b.commandLog(ctx, in.LogCommand)
	case unit != "":
		return b.journalLog(ctx, unit, since)
	case file != "":
		ctx, cancel := context.WithTimeout(ctx, harvestTimeout)
		defer cancel()
		return fileLog(ctx, file, b.opts.LogLines, minContextLines, since)
	}
	return harvest{}, errors.New("no log configured (report.log_file or report.journal_unit)")
}

// fileLog reads the last n lines of path and, while they do not reach back
// to since (or, with since zero, while there are fewer than n), of its
// rotated siblings path.1, path.2.gz, ... It then cuts the lines older than
// since-windowMargin when they carry t= times, keeping at least the last
// minLines lines read. Each file is read up to maxFileBytes, and reading
// stops with ctx's error when ctx ends (a stop, or harvestTimeout).
func fileLog(ctx context.Context, path string, n, minLines int, since time.Time) (harvest, error) {
	h := harvest{source: path}
	read := 0
	for i := 0; i <= maxRotated; i++ {
		name, ok := rotated(path, i)
		if !ok {
			if i == 0 {
				continue // the current file may be missing right after rotation
			}
			break
		}
		lines, started, err := tailFile(ctx, name, n)
		if err != nil {
			return h, err
		}
		read++
		if h.started == "" {
			h.started = started
		}
		h.lines = append(lines, h.lines...)
		if len(h.lines) >= n {
			h.lines = h.lines[len(h.lines)-n:]
			break
		}
		if !since.IsZero() && reaches(h.lines, since.Add(-windowMargin)) {
			break
		}
	}
	if read == 0 {
		return h, fmt.Errorf("read log %s: %w", path, fs.ErrNotExist)
	}
	if !since.IsZero() {
		if c := cut(h.lines, since.Add(-windowMargin)); len(c) >= minLines {
			h.lines = c
		} else {
			h.lines = h.lines[len(h.lines)-min(minLines, len(h.lines)):]
		}
	}
	return h, nil
}

// rotated returns the name of the i-th rotated sibling of path (0: path
// itself), plain or gzipped, if it exists.
func rotated(path string, i int) (string, bool) {
	base := path
	if i > 0 {
		base = path + "." + strconv.Itoa(i)
	}
	for _, name := range []string{base, base + ".gz"} {
		if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() {
			return name, true
		}
	}
	return "", false
}

// tailFile returns the last n lines of the file (gunzipped if its name
// ends in .gz) and the last started= line in it: of a plain file its last
// maxFileBytes (the first, cut, line dropped), of a gzipped one its first
// maxFileBytes decompressed.
func tailFile(ctx context.Context, name string, n int) ([]string, string, error) {
	f, err := safefile.Open(name) // never blocks on a FIFO put in its place
	if err != nil {
		return nil, "", fmt.Errorf("read log: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	cut := false
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, "", fmt.Errorf("read log %s: %w", name, err)
		}
		defer zr.Close()
		r = io.LimitReader(zr, maxFileBytes)
	} else if st, err := f.Stat(); err == nil && st.Size() > maxFileBytes {
		r, cut = io.NewSectionReader(f, st.Size()-maxFileBytes, maxFileBytes), true
	}
	lines, started, err := tail(ctxReader{ctx, r}, n)
	if err != nil {
		return nil, "", fmt.Errorf("read log %s: %w", name, err)
	}
	if cut && len(lines) > 0 && len(lines) < n {
		lines = lines[1:]
	}
	return lines, started, nil
}

// ctxReader is r, ending with ctx's error once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// tail returns the last n lines of r, each cut to maxLineBytes, and the
// last pagekite.py started= line.
func tail(r io.Reader, n int) ([]string, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	ring := make([]string, 0, min(n, 4096))
	next, started := 0, ""
	for {
		line, err := readLine(br)
		if line != "" || err == nil {
			if strings.Contains(line, "started=") && startedLine.MatchString(line) {
				started = line
			}
			if len(ring) < n {
				ring = append(ring, line)
			} else {
				ring[next] = line
				next = (next + 1) % n
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", err
		}
	}
	return append(ring[next:], ring[:next]...), started, nil
}

// readLine reads one line without its newline, keeping at most
// maxLineBytes of it.
func readLine(br *bufio.Reader) (string, error) {
	var buf []byte
	for {
		frag, err := br.ReadSlice('\n')
		if room := maxLineBytes - len(buf); room > 0 {
			buf = append(buf, frag[:min(len(frag), room)]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return string(bytes.TrimRight(buf, "\r\n")), err
	}
}

// lineAt returns the t= time of a pagekite.py line.
func lineAt(line string) (time.Time, bool) {
	m := lineTime.FindStringSubmatch(line)
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", m[1], time.UTC)
	return t, err == nil
}

// reaches reports whether the first timed line is at or before from.
func reaches(lines []string, from time.Time) bool {
	for _, l := range lines {
		if t, ok := lineAt(l); ok {
			return !t.After(from)
		}
	}
	return false
}

// cut drops the lines before from. Lines without a time (tracebacks) go
// with the timed line before them; without any time, nothing is cut.
func cut(lines []string, from time.Time) []string {
	for i, l := range lines {
		if t, ok := lineAt(l); ok && !t.Before(from) {
			// Keep the untimed lines just before, which belong to it
			// only if no timed line precedes them: walk back.
			j := i
			for j > 0 {
				if _, ok := lineAt(lines[j-1]); ok {
					break
				}
				j--
			}
			if j == 0 {
				return lines
			}
			return lines[i:]
		}
	}
	for _, l := range lines {
		if _, ok := lineAt(l); ok {
			return nil // every timed line is older
		}
	}
	return lines
}

// commandLog runs argv (OpenWrt's logread, say) and keeps the last
// LogLines lines of its output.
func (b *Builder) commandLog(ctx context.Context, argv []string) (harvest, error) {
	h := harvest{source: "command:" + strings.Join(argv, " ")}
	lines, started, err := b.runLog(ctx, argv)
	h.lines, h.started = lines, started
	return h, err
}

// runLog runs a log reader (pklog.RunCommand: bounded in time and memory)
// and returns the last LogLines lines of its output and the last started=
// line among them.
func (b *Builder) runLog(ctx context.Context, argv []string) ([]string, string, error) {
	out, cut, err := pklog.RunCommand(ctx, argv, journalTimeout, b.opts.LogLines*maxLineBytes)
	if err != nil {
		return nil, "", err
	}
	if cut { // the first line is partial
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			out = out[i+1:]
		}
	}
	return tail(bytes.NewReader(out), b.opts.LogLines)
}

// journalLog runs journalctl for the unit.
func (b *Builder) journalLog(ctx context.Context, unit string, since time.Time) (harvest, error) {
	h := harvest{source: "journal:" + unit}
	path, err := exec.LookPath(b.opts.Journalctl)
	if err != nil {
		return h, fmt.Errorf("%w (%w)", ErrNoJournalctl, err)
	}
	args := []string{"-u", unit, "-o", "short-iso", "--no-pager", "-n", strconv.Itoa(b.opts.LogLines)}
	if !since.IsZero() {
		args = append(args, "--since", "@"+strconv.FormatInt(since.Add(-windowMargin).Unix(), 10))
	}
	h.lines, h.started, err = b.runLog(ctx, append([]string{path}, args...))
	if err != nil {
		return h, fmt.Errorf("journalctl -u %s: %w", unit, err)
	}
	h.lines = slices.DeleteFunc(h.lines, func(l string) bool { return l == "-- No entries --" })
	return h, err
}
