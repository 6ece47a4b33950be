package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// lockName is the lock file in state_dir: one daemon per state.
const lockName = "lock"

// errLocked: another pkwatchdogd holds the state dir's lock. The daemon
// exits exitLocked (75, EX_TEMPFAIL): the other daemon may stop.
var errLocked = errors.New("another pkwatchdogd runs on this state_dir")

// stateLock is the exclusive lock on a state dir, held while the daemon
// runs; the kernel drops it when the process ends, however it ends.
type stateLock struct{ f *os.File }

// lockState takes the lock on dir, without waiting. It writes the daemon's
// PID into the lock file, for the error of the next one. Errors wrap
// errLocked when another process holds it. check, status and report
// --dry-run only read the state and never take it.
func lockState(dir string) (*stateLock, error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state dir lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder := readHolder(f)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s is held%s): stop it, or give this one another state_dir", errLocked, path, holder)
		}
		return nil, fmt.Errorf("state dir lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &stateLock{f: f}, nil
}

// readHolder is " by pid N" from the lock file, or "".
func readHolder(f *os.File) string {
	b, _ := io.ReadAll(io.LimitReader(f, 32))
	if pid, err := strconv.Atoi(string(bytes.TrimSpace(b))); err == nil && pid > 0 {
		return " by pid " + strconv.Itoa(pid)
	}
	return ""
}

// release drops the lock.
func (l *stateLock) release() {
	if l != nil && l.f != nil {
		l.f.Close()
	}
}
