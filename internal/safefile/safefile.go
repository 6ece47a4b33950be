// Package safefile reads the small files pkwatchdogd trusts the least
// (its config, pagekite.py's rc files, pid files): only regular files,
// opened without blocking (a FIFO or a device in their place is an error
// at once, never a hang), and only up to a size limit.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// ErrNotRegular: the path is a FIFO, a device, a socket or a directory.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge: the file is longer than the limit.
var ErrTooLarge = errors.New("file too large")

// ReadFile returns the contents of the regular file at path, at most max
// bytes. Errors: the os error of the open (fs.ErrNotExist, ...), or one
// wrapping ErrNotRegular or ErrTooLarge; each names the path.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	return readAll(f, path, max)
}

// readAll reads f (path) to its end and closes it: at most max bytes,
// else an error wrapping ErrTooLarge.
func readAll(f *os.File, path string, max int64) ([]byte, error) {
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", path, ErrTooLarge, max)
	}
	return b, nil
}

// Open opens path for reading, without blocking, and checks that it is a
// regular file.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, st.Mode().Type())
	}
	return f, nil
}
