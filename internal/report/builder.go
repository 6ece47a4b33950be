package report

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/pklog"
	"github.com/pagekite/pkwatchdogd/internal/redact"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// ErrTooLarge: a bundle would not fit in Options.MaxBytes.
var ErrTooLarge = errors.New("bundle larger than report.max_bytes")

// Builder builds crash report bundles and keeps them under
// StateDir/reports. It is safe for concurrent use.
type Builder struct {
	log  *zap.Logger
	opts Options
	red  *redact.Redactor
	now  func() time.Time

	// mu guards the reports directory: writing a bundle and pruning.
	mu sync.Mutex
}

// NewBuilder returns a Builder; r scrubs everything but the core.
func NewBuilder(log *zap.Logger, opts Options, r *redact.Redactor) *Builder {
	return &Builder{log: log, opts: opts.withDefaults(), red: r, now: time.Now}
}

// Dir returns the directory bundles are saved in.
func (b *Builder) Dir() string { return filepath.Join(b.opts.StateDir, "reports") }

// reportJSON is the layout of report.json.
type reportJSON struct {
	Schema      int          `json:"schema"`
	Kite        string       `json:"kite"`
	Instance    string       `json:"pagekite_instance,omitempty"`
	Kites       any          `json:"kites,omitempty"`
	Reason      string       `json:"reason"`
	At          time.Time    `json:"at"`
	LastFlying  *time.Time   `json:"last_flying,omitempty"`
	Watchdog    string       `json:"pkwatchdogd_version"`
	PageKite    PageKiteInfo `json:"pagekite"`
	System      SystemInfo   `json:"system"`
	History     any          `json:"history,omitempty"`
	Probes      any          `json:"probes,omitempty"`
	Restart     any          `json:"restart,omitempty"`
	Core        coreJSON     `json:"core"`
	Log         logJSON      `json:"log"`
	Diagnostics *diagJSON    `json:"diagnostics,omitempty"`
	// PagekitecStatus is pagekitec's -Y status file just before the
	// restart (read_at): stale (a hung process) or "flying" (while the
	// relay said not connected) are both evidence.
	PagekitecStatus *statusJSON `json:"pagekitec_status,omitempty"`
	// Stacks is where PageKite was stuck (schema 2; 3: Python stacks from memory).
	Stacks *stacksJSON `json:"stacks,omitempty"`
}

// Schema is report.json's schema version: 2 added stacks; 3 made
// stacks.python a list of threads ({"id", "native_id", "frames"}), read
// from pagekite.py's memory (python_source, python_version), with
// faulthandler's tracebacks beside them (python_faulthandler).
const Schema = 3

// statusJSON is pagekitec's status file in report.json.
type statusJSON struct {
	Status  string    `json:"status"`
	Version string    `json:"version,omitempty"`
	PID     int       `json:"pid,omitempty"`
	Updated time.Time `json:"updated,omitzero"`
	Stale   bool      `json:"stale"`
	// ReadAt is when the file was read: before the kill.
	ReadAt time.Time `json:"read_at,omitzero"`
}

// StatusSnapshot is pagekitec's status file as read at At: the process's
// own word on itself, taken before a restart replaces the process.
type StatusSnapshot struct {
	At     time.Time
	Status pklog.Status
	// Err says why the file could not be read ("" when it was).
	Err string
}

// SnapshotStatus reads pagekitec's status file at path at now; nil when
// path is "".
func SnapshotStatus(path string, now time.Time) *StatusSnapshot {
	if path == "" {
		return nil
	}
	st, err := pklog.ReadStatus(path)
	if err != nil {
		return &StatusSnapshot{At: now, Err: err.Error()}
	}
	return &StatusSnapshot{At: now, Status: st}
}

// status is in's status file: the snapshot from before the restart, else
// the file read now (pkwatchdogd report); nil when there is none.
func (in Input) status() *StatusSnapshot {
	if in.Status != nil {
		return in.Status
	}
	return SnapshotStatus(in.StatusFile, in.At)
}

// pagekitecStatus is report.json's pagekitec_status, nil when there is no
// status file.
func pagekitecStatus(in Input) *statusJSON {
	snap := in.status()
	if snap == nil {
		return nil
	}
	if snap.Err != "" {
		return &statusJSON{Status: "unreadable: " + snap.Err, ReadAt: snap.At.UTC()}
	}
	st := snap.Status
	return &statusJSON{Status: st.Status, Version: st.Version, PID: st.PID, Updated: st.Updated.UTC(), Stale: st.Stale(snap.At), ReadAt: snap.At.UTC()}
}

// diagJSON says what the diagnostics signals asked for and whether the
// dump appeared in the harvested log.
type diagJSON struct {
	Sent      []string  `json:"sent"`
	At        time.Time `json:"at,omitzero"`
	DumpLines int       `json:"dump_lines"`
	Note      string    `json:"note,omitempty"`
}

// dumpLine matches the lines PageKite writes when asked for its state:
// pagekite.py's "SIGUSR1 received, dumping conn state", pagekitec's
// pk_dump_state lines (pk_global_state/..., pk_manager/..., fe_N/...,
// beconn_N/...).
var dumpLine = regexp.MustCompile(`SIGUSR1 received|pk_global_state/|pk_manager/|\bfe_\d+/|\bbeconn_\d+/`)

// diagnosticsOf is report.json's diagnostics for in and the harvested log
// lines; nil when none were sent.
func diagnosticsOf(in Input, lines []string) *diagJSON {
	if len(in.Diagnostics) == 0 {
		return nil
	}
	d := &diagJSON{Sent: in.Diagnostics, At: in.DiagnosticsAt.UTC()}
	for _, l := range lines {
		if dumpLine.MatchString(l) {
			d.DumpLines++
		}
	}
	if d.DumpLines == 0 {
		d.Note = "no dump in the harvested log: PageKite may log elsewhere than pkwatchdogd reads, or did not answer the signals"
	}
	return d
}

type coreJSON struct {
	Included bool   `json:"included"`
	Path     string `json:"path,omitempty"`
	Size     int64  `json:"size,omitempty"`
	Note     string `json:"note,omitempty"`
}

type logJSON struct {
	Source string `json:"source"`
	Lines  int    `json:"lines"`
	Error  string `json:"error,omitempty"`
}

// Build builds a bundle for in and saves it, then prunes old bundles. A
// log that cannot be read does not stop it: report.json then says why the
// log is missing. It signals and uploads nothing, so it also serves
// `pkwatchdogd report --dry-run`.
func (b *Builder) Build(ctx context.Context, in Input) (Bundle, error) {
	if in.At.IsZero() {
		in.At = b.now()
	}
	h, logErr := b.collectLog(ctx, in, in.LastFlying)
	text := strings.Join(h.lines, "\n")
	if len(h.lines) > 0 {
		text += "\n"
	}
	// Secrets the log reveals (argv=) are scrubbed from report.json too.
	red := b.red.With(append(redact.FindSecrets(text), redact.FindSecrets(h.started)...)...)

	var logGz bytes.Buffer
	zw := gzip.NewWriter(&logGz)
	if _, err := zw.Write([]byte(red.String(text))); err != nil {
		return Bundle{}, fmt.Errorf("compress log: %w", err)
	}
	if err := zw.Close(); err != nil {
		return Bundle{}, fmt.Errorf("compress log: %w", err)
	}

	rep := reportJSON{
		Schema: Schema, Kite: in.Kite, Instance: in.Instance, Kites: in.Kites, Reason: in.Reason, At: in.At.UTC(),
		Watchdog: b.opts.Version, PageKite: pagekiteInfo(ctx, in, h.started), System: systemInfo(),
		History: in.History, Probes: in.Probes, Restart: in.Restart,
		Core:        coreJSON{Path: in.CorePath, Size: in.CoreSize},
		Log:         logJSON{Source: h.source, Lines: len(h.lines)},
		Diagnostics: diagnosticsOf(in, h.lines),

		PagekitecStatus: pagekitecStatus(in),
		Stacks:          b.stacksOf(ctx, in, h.lines, h.source),
	}
	if !in.LastFlying.IsZero() {
		t := in.LastFlying.UTC()
		rep.LastFlying = &t
	}
	if logErr != nil {
		rep.Log.Error = red.String(logErr.Error())
		b.log.Warn("crash report without pagekite log", zap.String("kite", in.Kite), zap.Error(logErr))
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	dir := b.Dir()
	// Another user's directory (or a symlink) in reports' place is
	// refused: never chmodded, written into or pruned.
	if err := safefile.MkdirTrusted(b.opts.StateDir); err != nil {
		return Bundle{}, fmt.Errorf("state dir: %w", err)
	}
	if err := safefile.MkdirTrusted(dir); err != nil {
		return Bundle{}, fmt.Errorf("reports dir: %w", err)
	}

	var core *os.File
	switch {
	case in.CorePath == "":
		rep.Core.Note = "no core dump was written"
	case !b.opts.IncludeCore:
		rep.Core.Note = "not included (report.include_core = false): cores hold secrets in clear text; share it by hand if you wish"
	default:
		f, err := b.compressCore(dir, in.CorePath, b.opts.MaxBytes-int64(logGz.Len())-64<<10)
		if err != nil {
			rep.Core.Note = "not included: " + err.Error()
			break
		}
		defer os.Remove(f.Name())
		defer f.Close()
		core = f
		rep.Core.Included = true
	}

	raw, err := json.Marshal(rep)
	if err != nil {
		return Bundle{}, fmt.Errorf("report.json: %w", err)
	}
	js, err := red.JSON(raw)
	if err != nil {
		return Bundle{}, fmt.Errorf("report.json: %w", err)
	}

	bundle, err := b.writeTar(dir, in, js, logGz.Bytes(), core)
	if err != nil {
		return Bundle{}, err
	}
	b.pruneLocked(dir, bundle.Path)
	return bundle, nil
}

// compressCore gzips the core into a temporary file in dir, giving up when
// it grows beyond limit bytes.
func (b *Builder) compressCore(dir, path string, limit int64) (*os.File, error) {
	src, err := safefile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open core: %w", err)
	}
	defer src.Close()
	f, err := os.CreateTemp(dir, ".core-*.gz")
	if err != nil {
		return nil, fmt.Errorf("compress core: %w", err)
	}
	fail := func(err error) (*os.File, error) {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	lw := &limitWriter{w: f, left: limit}
	zw := gzip.NewWriter(lw)
	if _, err := io.Copy(zw, src); err != nil {
		return fail(fmt.Errorf("compress core: %w", err))
	}
	if err := zw.Close(); err != nil {
		return fail(fmt.Errorf("compress core: %w", err))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("compress core: %w", err))
	}
	return f, nil
}

// limitWriter fails with ErrTooLarge once more than left bytes are written.
type limitWriter struct {
	w    io.Writer
	left int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, ErrTooLarge
	}
	l.left -= int64(len(p))
	return l.w.Write(p)
}

// writeTar writes the bundle to a temporary file, syncs it and gives it its
// final name, never replacing another bundle.
func (b *Builder) writeTar(dir string, in Input, js, logGz []byte, core *os.File) (Bundle, error) {
	tmp, err := os.CreateTemp(dir, ".bundle-*.tar")
	if err != nil {
		return Bundle{}, fmt.Errorf("write bundle: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	tw := tar.NewWriter(tmp)
	var members []Member
	add := func(name string, size int64, r io.Reader) error {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600,
			ModTime: in.At.Truncate(time.Second), Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, r); err != nil {
			return err
		}
		members = append(members, Member{Name: name, Size: size})
		return nil
	}
	if err := add(JSONMember, int64(len(js)), bytes.NewReader(js)); err != nil {
		return Bundle{}, fmt.Errorf("write bundle: %w", err)
	}
	if err := add(LogMember, int64(len(logGz)), bytes.NewReader(logGz)); err != nil {
		return Bundle{}, fmt.Errorf("write bundle: %w", err)
	}
	if core != nil {
		st, err := core.Stat()
		if err != nil {
			return Bundle{}, fmt.Errorf("write bundle: %w", err)
		}
		if err := add(CoreMember, st.Size(), core); err != nil {
			return Bundle{}, fmt.Errorf("write bundle: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return Bundle{}, fmt.Errorf("write bundle: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return Bundle{}, fmt.Errorf("write bundle: %w", err)
	}
	st, err := tmp.Stat()
	if err != nil {
		return Bundle{}, fmt.Errorf("write bundle: %w", err)
	}
	if st.Size() > b.opts.MaxBytes {
		return Bundle{}, fmt.Errorf("write bundle: %d bytes: %w", st.Size(), ErrTooLarge)
	}
	base := bundlePrefix + in.At.UTC().Format("20060102T150405.000Z") + "-" + safeName(in.Kite)
	for i := 0; i < 100; i++ {
		name := base + ".tar"
		if i > 0 {
			name = fmt.Sprintf("%s-%d.tar", base, i)
		}
		path := filepath.Join(dir, name)
		// A hard link never replaces an existing file, unlike rename.
		err := os.Link(tmp.Name(), path)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return Bundle{}, fmt.Errorf("write bundle: %w", err)
		}
		syncDir(dir)
		return Bundle{Kite: in.Kite, Path: path, Size: st.Size(), Members: members}, nil
	}
	return Bundle{}, fmt.Errorf("write bundle: no free name for %s", base)
}

// safeName makes a kite name safe for a file name.
func safeName(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	if b.Len() == 0 {
		return "kite"
	}
	return b.String()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
