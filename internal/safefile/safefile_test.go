package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestReadFile: regular files are read up to the limit; a FIFO, a
// character device and a directory are errors at once (bounded: a hang
// fails the test after 5 s).
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		max  int64
		want error
	}{
		{small, 5, nil},
		{small, 4, ErrTooLarge},
		{fifo, 5, ErrNotRegular},
		{"/dev/zero", 5, ErrNotRegular},
		{dir, 5, ErrNotRegular},
		{filepath.Join(dir, "missing"), 5, fs.ErrNotExist},
	}
	for _, tt := range tests {
		done := make(chan error, 1)
		go func() {
			_, err := ReadFile(tt.path, tt.max)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("ReadFile(%s, %d) error = %v, want %v", tt.path, tt.max, err, tt.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("ReadFile(%s) hangs", tt.path)
		}
	}
}

// TestTrustDir: a directory of pkwatchdogd's user, writable by no one else,
// under parents no other user can change, is trusted; a symlink, a file,
// another user's directory, a group-writable one, or one under a parent
// that others may write without the sticky bit is not.
func TestTrustDir(t *testing.T) {
	base := t.TempDir()
	good := filepath.Join(base, "good")
	if err := MkdirTrusted(good); err != nil {
		t.Fatalf("MkdirTrusted(new) = %v", err)
	}
	if err := MkdirTrusted(filepath.Join(base, "a", "b")); err != nil {
		t.Fatalf("MkdirTrusted(nested) = %v", err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	groupW := filepath.Join(base, "groupw")
	if err := os.Mkdir(groupW, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(groupW, 0o770); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil { // no sticky bit
		t.Fatal(err)
	}
	under := filepath.Join(open, "state")
	if err := os.Mkdir(under, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{link, file, groupW, under} {
		if err := TrustDir(bad); !errors.Is(err, ErrUntrustedDir) {
			t.Errorf("TrustDir(%s) = %v, want ErrUntrustedDir", filepath.Base(bad), err)
		}
		if err := MkdirTrusted(bad); !errors.Is(err, ErrUntrustedDir) {
			t.Errorf("MkdirTrusted(%s) = %v, want ErrUntrustedDir", filepath.Base(bad), err)
		}
	}
	if st, _ := os.Stat(groupW); st.Mode().Perm() != 0o770 {
		t.Errorf("MkdirTrusted changed the mode of a directory it did not make")
	}
	if os.Geteuid() == 0 {
		other := filepath.Join(base, "other")
		if err := os.Mkdir(other, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := TrustDir(other); !errors.Is(err, ErrUntrustedDir) {
			t.Errorf("TrustDir(nobody's) = %v, want ErrUntrustedDir", err)
		}
	}
}
