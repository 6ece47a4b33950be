package action

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.uber.org/zap"
)

// Restarter finds, proves and restarts the PageKite process. Its methods may
// be called from several goroutines, but the caller must not run two
// Restarts at once (they would fight over the same process).
type Restarter struct {
	log  *zap.Logger
	opts Options
	self int
}

// New returns a Restarter. Zero Method, ProcessMatch, Signal and durations
// in opts get their defaults; start from DefaultOptions for the rest.
func New(log *zap.Logger, opts Options) *Restarter {
	return &Restarter{log: log, opts: opts.withDefaults(), self: os.Getpid()}
}

// Find returns the one PageKite process: from Options.PIDFile when set (and
// nothing else), else from Options.Unit's MainPID when systemd answers with
// one, else from a scan of /proc. The process is proven (see Inspect).
//
// Errors: ErrNotFound (nothing running, or the pid file is missing),
// ErrAmbiguous (the scan found several), ErrBadPIDFile, ErrStalePIDFile
// (with ErrNotFound or ErrNotPageKite), ErrNotPageKite (the unit's MainPID
// is not PageKite).
func (r *Restarter) Find(ctx context.Context) (Process, error) {
	p, source, err := r.locate(ctx)
	p.source = source
	return p, err
}

// Inspect reads pid from /proc and proves that it is PageKite (see
// proof.go): its command line matches ProcessMatch and is not a relay; its
// executable is PageKite's; its user is the expected one; it is in the
// watchdog's PID namespace; it is neither the watchdog itself nor PID 1.
// Errors wrap ErrNotFound or ErrNotPageKite.
func (r *Restarter) Inspect(pid int) (Process, error) {
	return r.inspect(pid, false)
}

// inspect is Inspect; named says that a pid file names pid, which may
// then be in another PID namespace.
func (r *Restarter) inspect(pid int, named bool) (Process, error) {
	p, err := readProcess(pid)
	p.named = named
	if err != nil {
		if errors.Is(err, errGone) {
			return p, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return p, fmt.Errorf("%w: %w", ErrNotPageKite, err)
	}
	if err := r.prove(p); err != nil {
		return p, err
	}
	return p, nil
}

// prove checks that p may be signalled.
func (r *Restarter) prove(p Process) error {
	switch {
	case p.PID <= 1:
		return fmt.Errorf("%w: pid %d is init", ErrNotPageKite, p.PID)
	case p.PID == r.self:
		return fmt.Errorf("%w: pid %d is the watchdog itself", ErrNotPageKite, p.PID)
	case !r.matches(p.Cmdline):
		return fmt.Errorf("%w: pid %d (%s) does not match the process pattern", ErrNotPageKite, p.PID, programName(p.Cmdline))
	case !p.SamePIDNS && !p.named:
		return fmt.Errorf("%w: pid %d is %w (a container's?): only a pid file may name it", ErrNotPageKite, p.PID, errOtherNamespace)
	}
	if err := proveIdentity(p); err != nil {
		return err
	}
	return checkUID(p, r.opts.User, false)
}

// matches reports whether argv is a PageKite kite (not a relay).
func (r *Restarter) matches(argv []string) bool {
	if len(argv) == 0 || isFrontend(argv) {
		return false
	}
	return r.opts.ProcessMatch.MatchString(strings.Join(argv, " "))
}

// programName is argv[0]'s base name, safe to log (no arguments).
func programName(argv []string) string {
	if len(argv) == 0 {
		return "?"
	}
	name := argv[0]
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// Sources of a PID, for logs and results.
const (
	sourcePIDFile = "pidfile"
	sourceUnit    = "unit"
	sourceScan    = "scan"
)

// locate is Find, also saying where the PID came from.
func (r *Restarter) locate(ctx context.Context) (Process, string, error) {
	if r.opts.PIDFile != "" {
		pid, err := readPIDFile(r.opts.PIDFile)
		if err != nil {
			return Process{}, sourcePIDFile, err
		}
		p, err := r.inspect(pid, true)
		if err != nil {
			return p, sourcePIDFile, fmt.Errorf("%w %s: %w", ErrStalePIDFile, r.opts.PIDFile, err)
		}
		return p, sourcePIDFile, nil
	}
	if r.opts.Unit != "" {
		pid, err := unitMainPID(ctx, r.opts.Unit)
		if err != nil {
			r.log.Debug("systemd unit lookup failed", zap.String("unit", r.opts.Unit), zap.Error(err))
		} else if pid > 0 {
			p, err := r.Inspect(pid)
			return p, sourceUnit, err
		}
	}
	p, err := r.scan()
	return p, sourceScan, err
}

// scan looks through /proc for exactly one PageKite process.
func (r *Restarter) scan() (Process, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return Process{}, fmt.Errorf("scan /proc: %w", err)
	}
	var found []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 1 || pid == r.self {
			continue
		}
		// The command line first: most processes are not PageKite, and
		// reading all of one's /proc costs a dozen reads and allocations.
		if raw, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err != nil || !r.matches(splitCmdline(raw)) {
			continue
		}
		p, err := readProcess(pid)
		if err != nil || r.prove(p) != nil || checkUID(p, r.opts.User, true) != nil {
			continue // gone meanwhile, a kernel thread, not PageKite, or another user's
		}
		found = append(found, p)
	}
	switch len(found) {
	case 0:
		return Process{}, fmt.Errorf("%w: no process matches %q", ErrNotFound, r.opts.ProcessMatch.String())
	case 1:
		return found[0], nil
	}
	pids := make([]string, len(found))
	for i, p := range found {
		pids[i] = strconv.Itoa(p.PID)
	}
	return Process{}, fmt.Errorf("%w: pids %s", ErrAmbiguous, strings.Join(pids, ", "))
}

// RunningPagekitec returns the pagekitec processes running in this PID
// namespace that pass the proof a signal needs: the executable is
// pagekitec, a regular file owned by root (or pkwatchdogd's user) and
// writable by no one else, and the process runs as user (a name or uid;
// "" means root or pkwatchdogd's own user). Their command lines hold kite
// secrets: never log them. For discovery, which needs a pagekitec's kites
// before any restart: a pagekitec that another user started (a copy, or
// the real one) is not PageKite's to watch and is left out; ignored says
// why each was (no secrets in it).
func RunningPagekitec(user string) (found []Process, ignored []error, err error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, nil, fmt.Errorf("scan /proc: %w", err)
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 1 || pid == self {
			continue
		}
		exe, err := os.Readlink("/proc/" + e.Name() + "/exe")
		if err != nil || filepath.Base(strings.TrimSuffix(exe, " (deleted)")) != "pagekitec" {
			continue
		}
		p, err := readProcess(pid)
		if err != nil || !p.SamePIDNS || len(p.Cmdline) == 0 {
			continue
		}
		if err := proveIdentity(p); err != nil {
			ignored = append(ignored, err)
			continue
		}
		if err := checkUID(p, user, true); err != nil {
			ignored = append(ignored, err)
			continue
		}
		found = append(found, p)
	}
	return found, ignored, nil
}

// checkUID checks the user p runs as: the configured user, else the
// --runas of its command line. When neither is known, any user passes a
// process that a pid file or the unit names; one found by a scan
// (scanned) must run as root or as pkwatchdogd's own user: a process of
// another user is not taken for PageKite unless the config says that user
// ([pagekite] restart.user).
func checkUID(p Process, user string, scanned bool) error {
	uid, known, err := expectedUID(user, p.Cmdline)
	switch {
	case err != nil:
		return fmt.Errorf("%w: pid %d: expected user: %w", ErrNotPageKite, p.PID, err)
	case known && p.UID != uid:
		return fmt.Errorf("%w: pid %d runs as uid %d, not the expected uid %d", ErrNotPageKite, p.PID, p.UID, uid)
	case !known && scanned && p.UID != 0 && p.UID != os.Geteuid():
		return fmt.Errorf("%w: pid %d runs as uid %d, neither root nor pkwatchdogd's user: set restart.user to watch it", ErrNotPageKite, p.PID, p.UID)
	}
	return nil
}
