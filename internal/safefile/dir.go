package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrUntrustedDir: a directory pkwatchdogd writes into (its state_dir,
// reports/) is a symlink, not a directory, owned by another user, or
// writable by others, or one of its parents lets another user swap it.
var ErrUntrustedDir = errors.New("directory not trusted")

// MkdirTrusted makes dir (mode 0700) when it is missing, and then checks
// it as TrustDir does. It never follows a symlink in dir's place and never
// changes the mode of a directory it did not make.
func MkdirTrusted(dir string) error { return MkdirTrustedPerm(dir, 0o700) }

// MkdirTrustedPerm is MkdirTrusted making dir with perm (0755 for the
// status file's, which other users read); perm must not let group or
// others write. Nothing is made under parents CheckDir refuses.
func MkdirTrustedPerm(dir string, perm os.FileMode) error {
	if err := CheckDir(dir); err != nil {
		return err
	}
	// MkdirAll leaves an existing directory (or a symlink to one) as it
	// is; TrustDir then refuses what is not ours.
	if err := os.MkdirAll(dir, perm); err != nil {
		if _, lerr := os.Lstat(dir); lerr == nil {
			return TrustDir(dir) // a file in its place: TrustDir says what
		}
		return fmt.Errorf("make %s: %w", dir, err)
	}
	return TrustDir(dir)
}

// TrustDir checks that dir is a directory (not a symlink) owned by
// pkwatchdogd's own user and writable by no one else, and that each of
// its parents is owned by root or that user and writable by others only
// with the sticky bit (as /tmp): no other user can then put a file, a
// symlink or another directory in its place. Errors wrap ErrUntrustedDir
// and say what to fix.
func TrustDir(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	euid := os.Geteuid()
	st, err := os.Lstat(abs)
	if err != nil {
		return fmt.Errorf("%s: %w", abs, err)
	}
	sys, _ := st.Sys().(*syscall.Stat_t)
	switch {
	case st.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("%s: %w: it is a symlink; name the directory itself", abs, ErrUntrustedDir)
	case !st.IsDir():
		return fmt.Errorf("%s: %w: not a directory", abs, ErrUntrustedDir)
	case sys == nil || int(sys.Uid) != euid:
		return fmt.Errorf("%s: %w: owned by uid %d, not pkwatchdogd's uid %d: remove it, or chown it", abs, ErrUntrustedDir, ownerOf(sys), euid)
	case st.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("%s: %w: writable by group or others (%v): chmod go-w", abs, ErrUntrustedDir, st.Mode().Perm())
	}
	return trustParents(abs, false)
}

// CheckDir is what MkdirTrusted would say of dir, without making or
// changing anything (for validate): TrustDir's error for a dir that
// exists; for one that does not, whether its nearest existing parent and
// that parent's own parents are as TrustDir wants a parent, so that the
// dir MkdirTrusted makes there is trusted.
func CheckDir(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if _, err := os.Lstat(abs); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return TrustDir(abs)
	}
	return trustParents(abs, true)
}

// trustParents checks every parent of abs: owned by root or pkwatchdogd's
// user, writable by others only with the sticky bit, and, when it is a
// symlink, the symlink owned by root or that user too and every parent of
// where it leads checked the same way. Parents that do not exist (yet)
// are passed over when missingOK. Errors wrap ErrUntrustedDir.
func trustParents(abs string, missingOK bool) error {
	euid := os.Geteuid()
	linked := false
	for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
		lst, err := os.Lstat(p)
		if missingOK && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if lst.Mode()&os.ModeSymlink != 0 {
			linked = true
			if sys, _ := lst.Sys().(*syscall.Stat_t); sys == nil || (sys.Uid != 0 && int(sys.Uid) != euid) {
				return fmt.Errorf("%s: %w: its parent %s is a symlink owned by uid %d", abs, ErrUntrustedDir, p, ownerOf(sys))
			}
		}
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		sys, _ := st.Sys().(*syscall.Stat_t)
		switch {
		case sys == nil || (sys.Uid != 0 && int(sys.Uid) != euid):
			return fmt.Errorf("%s: %w: its parent %s is owned by uid %d", abs, ErrUntrustedDir, p, ownerOf(sys))
		case st.Mode().Perm()&0o002 != 0 && st.Mode()&os.ModeSticky == 0:
			return fmt.Errorf("%s: %w: its parent %s is writable by others without the sticky bit", abs, ErrUntrustedDir, p)
		}
		if p == filepath.Dir(p) {
			break
		}
	}
	if !linked {
		return nil
	}
	// Through a symlink: where it leads must be as safe, parent by parent.
	dir := filepath.Dir(abs)
	for missingOK {
		if _, err := os.Lstat(dir); err == nil || dir == filepath.Dir(dir) {
			break
		}
		dir = filepath.Dir(dir)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", abs, err)
	}
	if err := trustParents(filepath.Join(real, "x"), false); err != nil {
		return fmt.Errorf("%s: through a symlink: %w", abs, err)
	}
	return nil
}

// OwnedFile reports whether info is a regular file owned by pkwatchdogd's
// own user: what pruning may remove.
func OwnedFile(info os.FileInfo) bool {
	sys, ok := info.Sys().(*syscall.Stat_t)
	return ok && info.Mode().IsRegular() && int(sys.Uid) == os.Geteuid()
}

func ownerOf(sys *syscall.Stat_t) int {
	if sys == nil {
		return -1
	}
	return int(sys.Uid)
}
