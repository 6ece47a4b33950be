package pktest

import (
	"os"
	"path/filepath"
	"testing"
)

// Nobody is the uid (and gid) of nobody on Debian and OpenWrt: the other
// user of the tests of what pkwatchdogd trusts.
const Nobody = 65534

// WriteFile writes text to dir/name (mode 0644) and returns its path; a
// write that fails ends the test.
func WriteFile(t testing.TB, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// WriteOwned writes text to path, gives it perm and the owner uid (group
// uid too), and returns path: a file planted by another user, for the
// tests of what pkwatchdogd trusts. It needs root.
func WriteOwned(t testing.TB, path, text string, uid int, perm os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	own(t, path, uid, perm)
	return path
}

// MkdirOwned makes the directory p (and its parents), gives it perm and
// the owner uid (group uid too), and returns p: a directory of another
// user, for the tests of what pkwatchdogd trusts. It needs root.
func MkdirOwned(t testing.TB, p string, uid int, perm os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(p, 0o700); err != nil {
		t.Fatal(err)
	}
	own(t, p, uid, perm)
	return p
}

// SymlinkOwned makes link point at target, owned by uid (group uid too),
// and returns link: a symlink another user may point anywhere at any
// time. It needs root.
func SymlinkOwned(t testing.TB, target, link string, uid int) string {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, uid, uid); err != nil {
		t.Fatal(err)
	}
	return link
}

// own gives p perm and the owner uid (group uid too).
func own(t testing.TB, p string, uid int, perm os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, uid, uid); err != nil {
		t.Fatal(err)
	}
}
