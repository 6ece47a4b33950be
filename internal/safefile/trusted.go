package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrUntrustedFile: a file pkwatchdogd takes a verdict from (pagekitec's
// status file, PageKite's log) is a symlink, not a regular file, owned by
// a user other than root, pkwatchdogd's or PageKite's, or writable by
// group or others: another user may have written it.
var ErrUntrustedFile = errors.New("file not trusted")

// ReadTrusted is ReadFile for a file that pkwatchdogd acts on: path is
// opened without following a symlink and must be a regular file owned by
// root, by pkwatchdogd's user or by owner (PageKite's uid; 0 when not
// known) and writable by no one else. Errors: the os error of the open
// (fs.ErrNotExist, ...), or one wrapping ErrUntrustedFile or ErrTooLarge;
// each names the path.
func ReadTrusted(path string, max int64, owner int) ([]byte, error) {
	f, err := OpenTrusted(path, owner)
	if err != nil {
		return nil, err
	}
	return readAll(f, path, max)
}

// OpenTrusted opens path for reading, without blocking and without
// following a symlink, as ReadTrusted wants it.
func OpenTrusted(path string, owner int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s: %w: it is a symlink", path, ErrUntrustedFile)
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if err := trustedFile(path, st, owner); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// CheckTrusted is what OpenTrusted would say of path, without opening it
// (for validate): nil for a trusted file, and for none at all.
func CheckTrusted(path string, owner int) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%s: %w: it is a symlink", path, ErrUntrustedFile)
	}
	return trustedFile(path, st, owner)
}

func trustedFile(path string, st os.FileInfo, owner int) error {
	sys, _ := st.Sys().(*syscall.Stat_t)
	switch {
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s: %w: not a regular file (%s)", path, ErrUntrustedFile, st.Mode().Type())
	case sys == nil || (sys.Uid != 0 && int(sys.Uid) != os.Geteuid() && int(sys.Uid) != owner):
		return fmt.Errorf("%s: %w: owned by uid %d, not root's, pkwatchdogd's or PageKite's", path, ErrUntrustedFile, ownerOf(sys))
	case st.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%s: %w: writable by group or others (%v)", path, ErrUntrustedFile, st.Mode().Perm())
	}
	return nil
}
