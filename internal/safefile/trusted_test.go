package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

const nobody = pktest.Nobody

// TestReadTrusted: a regular file of root, pkwatchdogd's user or
// PageKite's, writable by no one else, is read; a symlink (even to such a
// file), a FIFO, a directory, a group- or world-writable file and another
// user's file are refused with ErrUntrustedFile, by CheckTrusted too
// (#30: a status file planted by nobody silenced restarts).
func TestReadTrusted(t *testing.T) {
	pktest.RequireRoot(t)
	dir := t.TempDir()
	mk := func(name string, perm os.FileMode, uid int) string {
		return pktest.WriteOwned(t, filepath.Join(dir, name), "x", uid, perm)
	}
	own := mk("own", 0o644, os.Geteuid())
	link := filepath.Join(dir, "link")
	if err := os.Symlink(own, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		path  string
		owner int
		want  error
	}{
		{"own", own, 0, nil},
		{"PageKite's", mk("pagekite", 0o600, nobody), nobody, nil},
		{"another user's", mk("nobody", 0o644, nobody), 0, ErrUntrustedFile},
		{"another user's, PageKite someone else", mk("nobody2", 0o600, nobody), 1000, ErrUntrustedFile},
		{"group-writable", mk("groupw", 0o664, 0), 0, ErrUntrustedFile},
		{"world-writable", mk("worldw", 0o606, 0), 0, ErrUntrustedFile},
		{"symlink to own", link, 0, ErrUntrustedFile},
		{"fifo", fifo, 0, ErrUntrustedFile},
		{"directory", dir, 0, ErrUntrustedFile},
		{"missing", filepath.Join(dir, "missing"), 0, fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ReadTrusted(tt.path, 16, tt.owner)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) || (err == nil && string(b) != "x") {
				t.Errorf("ReadTrusted(%s, owner %d) = %q, %v; want %v", tt.name, tt.owner, b, err, tt.want)
			}
			want := tt.want
			if want == fs.ErrNotExist {
				want = nil // nothing there: nothing untrusted
			}
			if err := CheckTrusted(tt.path, tt.owner); !errors.Is(err, want) || (want == nil) != (err == nil) {
				t.Errorf("CheckTrusted(%s, owner %d) = %v, want %v", tt.name, tt.owner, err, want)
			}
		})
	}
}

// TestTrustDirThroughSymlinks: a parent that is a symlink owned by
// another user (who may point it anywhere at any time), or a symlink of
// root's that leads under another user's directory, makes a directory
// untrusted; a root symlink to a trusted place does not (#30: a status
// file written through nobody's symlink). CheckDir says the same of a
// directory still to be made.
func TestTrustDirThroughSymlinks(t *testing.T) {
	pktest.RequireRoot(t)
	base := t.TempDir()
	mkdir := func(p string, uid int, perm os.FileMode) string { return pktest.MkdirOwned(t, p, uid, perm) }
	symlink := func(target, p string, uid int) string { return pktest.SymlinkOwned(t, target, p, uid) }
	sticky := mkdir(filepath.Join(base, "tmp"), 0, os.ModeSticky|0o777) // as /tmp
	good := mkdir(filepath.Join(base, "good", "run"), 0, 0o755)
	mkdir(filepath.Join(good, "state"), 0, 0o700)
	theirs := mkdir(filepath.Join(base, "theirs"), nobody, 0o755)
	mkdir(filepath.Join(theirs, "state"), 0, 0o700)
	mkdir(filepath.Join(theirs, "sub", "state"), 0, 0o700)
	if err := os.Chown(filepath.Join(theirs, "sub"), 0, 0); err != nil {
		t.Fatal(err)
	}

	// nobody's symlink in the sticky dir, to a place of root's.
	nobodyLink := symlink(good, filepath.Join(sticky, "nobody-link"), nobody)
	// root's symlink, to a place under nobody's directory.
	rootToTheirs := symlink(theirs, filepath.Join(base, "root-to-theirs"), 0)
	// root's symlink, to a directory of root's under nobody's.
	rootToUnder := symlink(filepath.Join(theirs, "sub"), filepath.Join(base, "root-to-under"), 0)
	// root's symlink, to a good place.
	rootToGood := symlink(good, filepath.Join(base, "root-to-good"), 0)

	tests := []struct {
		dir  string
		want error
	}{
		{filepath.Join(good, "state"), nil},
		{filepath.Join(rootToGood, "state"), nil},
		{filepath.Join(nobodyLink, "state"), ErrUntrustedDir},
		{filepath.Join(rootToTheirs, "state"), ErrUntrustedDir},
		{filepath.Join(rootToUnder, "state"), ErrUntrustedDir},
		{filepath.Join(theirs, "state"), ErrUntrustedDir},
	}
	for _, tt := range tests {
		if err := TrustDir(tt.dir); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("TrustDir(%s) = %v, want %v", tt.dir, err, tt.want)
		}
		// The same, for a directory not made yet, one and two levels down.
		for _, missing := range []string{"new", "new/deeper"} {
			p := filepath.Join(tt.dir, missing)
			if err := CheckDir(p); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("CheckDir(%s) = %v, want %v", p, err, tt.want)
			}
		}
	}
}

// TestCheckDir: CheckDir says what MkdirTrusted would, and makes nothing.
func TestCheckDir(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil { // no sticky bit
		t.Fatal(err)
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dir  string
		want error
	}{
		{filepath.Join(base, "a", "b"), nil},
		{filepath.Join(open, "state"), ErrUntrustedDir},
		{filepath.Join(open, "x", "state"), ErrUntrustedDir},
		{open, ErrUntrustedDir},
		{file, ErrUntrustedDir},
	}
	for _, tt := range tests {
		err := CheckDir(tt.dir)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("CheckDir(%s) = %v, want %v", tt.dir, err, tt.want)
		}
		mkErr := MkdirTrusted(tt.dir)
		if (err == nil) != (mkErr == nil) {
			t.Errorf("CheckDir(%s) = %v but MkdirTrusted = %v: they disagree", tt.dir, err, mkErr)
		}
	}
}
