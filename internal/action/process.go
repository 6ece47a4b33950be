package action

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pagekite"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture (the kernel converts to it for user space).
const clockTicks = 100

// Process is a PageKite process as found and proven by Find or Inspect.
type Process struct {
	PID int `json:"pid"`
	// Cmdline is the full argv; it may hold the kite secret: never log it
	// above debug level, never put it in a report unredacted.
	Cmdline []string `json:"-"`
	// Program is the base name of the PageKite program (for logs).
	Program string `json:"program"`
	// Kind is pagekite.Py or pagekite.C.
	Kind pagekite.Kind `json:"kind"`
	// Started is the process's start time (from /proc/PID/stat field 22).
	Started time.Time `json:"started"`
	// StartTicks is field 22 itself: with PID, the process's identity.
	StartTicks uint64 `json:"-"`
	// UID is the real user id.
	UID int `json:"uid"`
	// Dumpable is false when /proc/PID is owned by root while the process
	// runs as another user (it dropped privileges, e.g. --runas).
	Dumpable bool `json:"dumpable"`
	// identity is what /proc says it runs (proof.go).
	identity
	// named: a pid file named it (it may then be in another PID
	// namespace).
	named bool
	// source is where Find found it (sourcePIDFile, sourceUnit,
	// sourceScan).
	source string
}

// Age is how long the process has been running at now.
func (p Process) Age(now time.Time) time.Duration {
	return now.Sub(p.Started)
}

// sameAs reports whether q is the very process p (same PID, start time and
// command line), not a later process that reused the PID.
func (p Process) sameAs(q Process) bool {
	if p.PID != q.PID || p.StartTicks != q.StartTicks || len(p.Cmdline) != len(q.Cmdline) {
		return false
	}
	for i := range p.Cmdline {
		if p.Cmdline[i] != q.Cmdline[i] {
			return false
		}
	}
	return true
}

// errGone marks a PID that does not exist (any more).
var errGone = errors.New("process does not exist")

// readProcess reads what identifies PID from /proc. It returns an error
// wrapping errGone when the process does not exist.
func readProcess(pid int) (Process, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	p := Process{PID: pid}
	raw, err := os.ReadFile(dir + "/cmdline")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			return p, fmt.Errorf("pid %d: %w", pid, errGone)
		}
		return p, fmt.Errorf("read cmdline of pid %d: %w", pid, err)
	}
	p.Cmdline = splitCmdline(raw)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			return p, fmt.Errorf("pid %d: %w", pid, errGone)
		}
		return p, fmt.Errorf("read stat of pid %d: %w", pid, err)
	}
	ticks, err := parseStartTicks(stat)
	if err != nil {
		return p, fmt.Errorf("pid %d: %w", pid, err)
	}
	p.StartTicks = ticks
	if boot, err := bootTime(); err == nil {
		p.Started = boot.Add(time.Duration(ticks) * time.Second / clockTicks)
	}
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return p, fmt.Errorf("read status of pid %d: %w", pid, err)
	}
	p.UID, err = parseRealUID(status)
	if err != nil {
		return p, fmt.Errorf("pid %d: %w", pid, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return p, fmt.Errorf("stat /proc of pid %d: %w", pid, err)
	}
	owner := -1
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		owner = int(st.Uid)
	}
	p.Dumpable = !(owner == 0 && p.UID != 0)
	p.Program, p.Kind = programOf(p.Cmdline)
	p.identity, err = readIdentity(pid, p.Cmdline, status)
	if err != nil {
		return p, err
	}
	if filepath.Base(p.Exe) == "pagekitec" {
		p.Kind = pagekite.C
	}
	return p, nil
}

// splitCmdline splits /proc/PID/cmdline at NUL bytes.
func splitCmdline(raw []byte) []string {
	raw = bytes.TrimRight(raw, "\x00")
	if len(raw) == 0 {
		return nil
	}
	return strings.Split(string(raw), "\x00")
}

// parseStartTicks returns field 22 (starttime) of /proc/PID/stat. The
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStartTicks(stat []byte) (uint64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat: no command name")
	}
	fields := strings.Fields(string(stat[i+1:]))
	// fields[0] is field 3 (state), so field 22 is fields[19].
	if len(fields) < 20 {
		return 0, fmt.Errorf("malformed /proc stat: %d fields after the command name", len(fields))
	}
	v, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed /proc stat start time: %w", err)
	}
	return v, nil
}

// parseRealUID returns the real uid from /proc/PID/status.
func parseRealUID(status []byte) (int, error) {
	for _, line := range strings.Split(string(status), "\n") {
		rest, ok := strings.CutPrefix(line, "Uid:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			break
		}
		uid, err := strconv.Atoi(f[0])
		if err != nil {
			return 0, fmt.Errorf("malformed Uid line in /proc status: %w", err)
		}
		return uid, nil
	}
	return 0, errors.New("no Uid line in /proc status")
}

// bootTime reads btime from /proc/stat.
func bootTime() (time.Time, error) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, fmt.Errorf("read /proc/stat: %w", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("malformed btime in /proc/stat: %w", err)
			}
			return time.Unix(s, 0), nil
		}
	}
	return time.Time{}, errors.New("no btime in /proc/stat")
}

// programOf returns the base name of the PageKite program in argv (skipping
// a python interpreter and its options) and the kind of PageKite it is.
func programOf(argv []string) (program string, kind pagekite.Kind) {
	for i, a := range argv {
		base := filepath.Base(a)
		if i == 0 && strings.HasPrefix(base, "python") {
			continue
		}
		if i > 0 && strings.HasPrefix(a, "-") && strings.HasPrefix(filepath.Base(argv[0]), "python") {
			continue
		}
		if base == "pagekitec" {
			return base, pagekite.C
		}
		return base, pagekite.Py
	}
	return "", pagekite.Py
}

// isFrontend reports whether argv starts a PageKite relay.
func isFrontend(argv []string) bool {
	for _, a := range argv {
		if a == "--isfrontend" || a == "-f" {
			return true
		}
	}
	return false
}
