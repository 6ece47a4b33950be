package pktest

import (
	"os"
	"path/filepath"
	"testing"
)

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

// MkdirOwned makes the directory p (and its parents), gives it perm and
// the owner uid (group uid too), and returns p: a directory of another
// user, for the tests of what pkwatchdogd trusts. It needs root.
func MkdirOwned(t testing.TB, p string, uid int, perm os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(p, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, uid, uid); err != nil {
		t.Fatal(err)
	}
	return p
}
