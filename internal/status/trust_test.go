package status

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// TestWriteNotThroughAnotherUsersDir: the status file is never written
// into a directory another user owns or can swap: its directory, or a
// parent, replaced by nobody's symlink (in a sticky directory, as /tmp),
// nobody's own directory, one writable by others without the sticky bit.
// Write fails with ErrUntrustedDir and nothing lands there (#30: a second
// daemon wrote through nobody's symlink).
func TestWriteNotThroughAnotherUsersDir(t *testing.T) {
	pktest.RequireRoot(t)
	const nobody = pktest.Nobody
	base := t.TempDir()
	mkdir := func(p string, uid int, perm os.FileMode) string { return pktest.MkdirOwned(t, p, uid, perm) }
	sticky := mkdir(filepath.Join(base, "tmp"), 0, os.ModeSticky|0o777)
	theirs := mkdir(filepath.Join(base, "theirs"), nobody, 0o755)
	mkdir(filepath.Join(theirs, "run"), nobody, 0o755)
	link := filepath.Join(sticky, "pkwatchdogd")
	pktest.SymlinkOwned(t, theirs, link, nobody)
	open := mkdir(filepath.Join(base, "open"), 0, 0o777)

	head := &File{Updated: "2026-12-06T00:00:00Z", PID: 1}
	if err := Write(filepath.Join(base, "status.json"), head, nil); err != nil {
		t.Fatalf("Write(into the test's own dir) = %v, want nil", err)
	}
	for _, tt := range []struct{ name, path, landed string }{
		{"dir is nobody's symlink", filepath.Join(link, "status.json"), filepath.Join(theirs, "status.json")},
		{"parent is nobody's symlink", filepath.Join(link, "run", "status.json"), filepath.Join(theirs, "run", "status.json")},
		{"dir is nobody's", filepath.Join(theirs, "run", "x.json"), filepath.Join(theirs, "run", "x.json")},
		{"dir writable by others", filepath.Join(open, "status.json"), filepath.Join(open, "status.json")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := Write(tt.path, head, nil); !errors.Is(err, safefile.ErrUntrustedDir) {
				t.Errorf("Write(%s) = %v, want ErrUntrustedDir", tt.path, err)
			}
			if _, err := os.Lstat(tt.landed); err == nil {
				t.Errorf("Write(%s) left %s", tt.path, tt.landed)
			}
		})
	}
}
