package action

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// maxPID is the largest PID Linux can hand out (PID_MAX_LIMIT, 2^22).
const maxPID = 1 << 22

// maxPIDFileSize bounds what is read of a pid file.
const maxPIDFileSize = 64

// ParsePID parses the contents of a pid file: one decimal PID, surrounding
// white space and a trailing newline allowed. Anything else (empty, garbage,
// negative, zero, above the kernel's PID limit) is an error wrapping
// ErrBadPIDFile.
func ParsePID(data []byte) (int, error) {
	s := strings.TrimSpace(string(data))
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrBadPIDFile)
	}
	if len(s) > 10 {
		return 0, fmt.Errorf("%w: %d characters is too long for a pid", ErrBadPIDFile, len(s))
	}
	for _, c := range s {
		if c == '-' {
			return 0, fmt.Errorf("%w: negative pid %q", ErrBadPIDFile, s)
		}
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %q is not a decimal pid", ErrBadPIDFile, s)
		}
	}
	pid, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadPIDFile, err)
	}
	if pid <= 0 || pid > maxPID {
		return 0, fmt.Errorf("%w: pid %d out of range 1..%d", ErrBadPIDFile, pid, maxPID)
	}
	return pid, nil
}

// readPIDFile reads and parses path. A missing file wraps ErrNotFound.
func readPIDFile(path string) (int, error) {
	f, err := safefile.Open(path) // a FIFO or device here never blocks a restart
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("pid file %s: %w: %w", path, ErrNotFound, err)
		}
		if errors.Is(err, safefile.ErrNotRegular) {
			return 0, fmt.Errorf("pid file: %w: %w", ErrBadPIDFile, err)
		}
		return 0, fmt.Errorf("open pid file: %w", err)
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, maxPIDFileSize+1))
	if err != nil {
		return 0, fmt.Errorf("read pid file %s: %w", path, err)
	}
	if len(buf) > maxPIDFileSize {
		return 0, fmt.Errorf("pid file %s: %w: longer than %d bytes", path, ErrBadPIDFile, maxPIDFileSize)
	}
	pid, err := ParsePID(buf)
	if err != nil {
		return 0, fmt.Errorf("pid file %s: %w", path, err)
	}
	return pid, nil
}
