package action

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// What proves a process to be PageKite, beyond its command line (which
// anyone can fake: exec -a pagekite, a script named pagekite.py). All of
// it is read from /proc, which the process cannot change:
//
//   - its executable (/proc/PID/exe) is the pagekitec binary, or a python
//     interpreter running a script named pagekite or pagekite.py (or a
//     binary named pagekite: a frozen pagekite.py); the executable and the
//     script are regular files owned by root (or by pkwatchdogd's own
//     user) and writable by nobody else;
//   - its real user is the instance's expected user when one is known
//     (restart.user, or --runas=USER on its command line);
//   - it is in pkwatchdogd's own PID namespace, unless a pid file names it
//     (a container's PageKite is never found by a scan or a unit);
//   - it is neither PID 1 nor pkwatchdogd itself, and it is not a relay.
//
// Then the pidfd (pidfd.go) makes sure that the process signalled is the
// one proven, not a later one with the same PID.

// pythonRe matches the base names of python interpreters.
var pythonRe = regexp.MustCompile(`^python[0-9.]*$`)

// identity is what /proc says a process runs, beyond its command line.
type identity struct {
	// Exe is /proc/PID/exe's target, " (deleted)" dropped (the package was
	// upgraded under the running process).
	Exe string `json:"exe,omitempty"`
	// Script is the script a python Exe runs (as argv names it), "" for
	// other programs.
	Script string `json:"script,omitempty"`
	// SamePIDNS: the process is in pkwatchdogd's PID namespace.
	SamePIDNS bool `json:"-"`
	// InnerPID is the process's PID in its own (innermost) PID namespace:
	// 1 for a container's init.
	InnerPID int `json:"-"`
}

// readIdentity reads pid's identity from /proc.
func readIdentity(pid int, argv []string, status []byte) (identity, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	var id identity
	exe, err := os.Readlink(dir + "/exe")
	if err != nil {
		return id, fmt.Errorf("read exe of pid %d: %w", pid, err)
	}
	id.Exe = strings.TrimSuffix(exe, " (deleted)")
	if pythonRe.MatchString(filepath.Base(id.Exe)) {
		id.Script = scriptOf(argv)
	}
	self, err1 := os.Readlink("/proc/self/ns/pid")
	theirs, err2 := os.Readlink(dir + "/ns/pid")
	id.SamePIDNS = err1 == nil && err2 == nil && self == theirs
	id.InnerPID = innerPID(status, pid)
	return id, nil
}

// scriptOf returns the script of a python command line: the first
// argument after the interpreter's options ("" for -c, -m or none).
func scriptOf(argv []string) string {
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "-c" || a == "-m":
			return ""
		case a == "-W" || a == "-X" || a == "-Q":
			i++ // an option with its value
		case strings.HasPrefix(a, "-"):
		default:
			return a
		}
	}
	return ""
}

// innerPID is the last NSpid field of /proc/PID/status (the PID inside the
// innermost namespace), or pid when the kernel does not say.
func innerPID(status []byte, pid int) int {
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				if n, err := strconv.Atoi(f[len(f)-1]); err == nil {
					return n
				}
			}
		}
	}
	return pid
}

// proveIdentity checks p's executable (and script) against what PageKite
// installs.
func proveIdentity(p Process) error {
	base := filepath.Base(p.Exe)
	switch {
	case base == "pagekitec":
		if err := trustedFile(p.PID, p.Exe); err != nil {
			return err
		}
	case base == "pagekite" || base == "pagekite.py":
		if err := trustedFile(p.PID, p.Exe); err != nil {
			return err
		}
	case pythonRe.MatchString(base):
		if err := trustedFile(p.PID, p.Exe); err != nil {
			return err
		}
		if sb := filepath.Base(p.Script); p.Script == "" || (sb != "pagekite" && sb != "pagekite.py") {
			return fmt.Errorf("%w: pid %d is %s running %q, not pagekite", ErrNotPageKite, p.PID, base, p.Script)
		}
		if err := trustedFile(p.PID, p.Script); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: pid %d runs %s, which is neither pagekitec nor python", ErrNotPageKite, p.PID, p.Exe)
	}
	return nil
}

// trustedFile checks that path, as process pid sees it (its root and
// working directory), is a regular file owned by root or by pkwatchdogd's
// own user, and writable by no one else.
func trustedFile(pid int, path string) error {
	dir := "/proc/" + strconv.Itoa(pid)
	full := path
	if !filepath.IsAbs(full) {
		cwd, err := os.Readlink(dir + "/cwd")
		if err != nil {
			return fmt.Errorf("%w: pid %d: working directory unknown for %q: %w", ErrNotPageKite, pid, path, err)
		}
		full = filepath.Join(cwd, full)
	}
	st, err := os.Stat(dir + "/root" + full)
	if err != nil {
		return fmt.Errorf("%w: pid %d: %s: %w", ErrNotPageKite, pid, full, err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	switch {
	case !st.Mode().IsRegular():
		return fmt.Errorf("%w: pid %d: %s is not a regular file", ErrNotPageKite, pid, full)
	case !ok || (sys.Uid != 0 && int(sys.Uid) != os.Geteuid()):
		return fmt.Errorf("%w: pid %d: %s is not owned by root", ErrNotPageKite, pid, full)
	case st.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%w: pid %d: %s is writable by group or others (%v)", ErrNotPageKite, pid, full, st.Mode().Perm())
	}
	return nil
}

// UserID is the uid of user, a name or a number (restart.user); ok false
// for "".
func UserID(user string) (uid int, ok bool, err error) { return expectedUID(user, nil) }

// expectedUID is the uid the process must run as: the configured user, else
// --runas=USER[:GROUP] from its command line; ok false when unknown.
func expectedUID(configured string, argv []string) (uid int, ok bool, err error) {
	name := configured
	if name == "" {
		for i, a := range argv {
			if v, found := strings.CutPrefix(a, "--runas="); found {
				name = v
			} else if a == "--runas" && i+1 < len(argv) {
				name = argv[i+1]
			}
		}
		name, _, _ = strings.Cut(name, ":")
	}
	if name == "" {
		return 0, false, nil
	}
	if n, err := strconv.Atoi(name); err == nil {
		return n, true, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return 0, false, fmt.Errorf("user %q: %w", name, err)
	}
	n, err := strconv.Atoi(u.Uid)
	if err != nil {
		return 0, false, fmt.Errorf("user %q: uid %q: %w", name, u.Uid, err)
	}
	return n, true, nil
}

// errOtherNamespace marks a process outside pkwatchdogd's PID namespace.
var errOtherNamespace = errors.New("in another PID namespace")
