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
