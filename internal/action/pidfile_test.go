package action

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParsePID(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"1234", 1234, false},
		{"1234\n", 1234, false},
		{"  77 \n", 77, false},
		{"\t4194304\r\n", 4194304, false},
		{"", 0, true},
		{"\n", 0, true},
		{"   ", 0, true},
		{"abc", 0, true},
		{"12a", 0, true},
		{"12 34", 0, true},
		{"-1", 0, true},
		{"-1234", 0, true},
		{"0", 0, true},
		{"+5", 0, true},
		{"0x10", 0, true},
		{"4194305", 0, true},
		{"99999999999999999999", 0, true},
		{"1.5", 0, true},
	}
	for _, tt := range tests {
		got, err := ParsePID([]byte(tt.in))
		if tt.wantErr {
			if !errors.Is(err, ErrBadPIDFile) {
				t.Errorf("ParsePID(%q) = %d, %v, want ErrBadPIDFile", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParsePID(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestReadPIDFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		path string
		want int
		is   error
	}{
		{"good", write("good.pid", "4321\n"), 4321, nil},
		{"missing", filepath.Join(dir, "missing.pid"), 0, ErrNotFound},
		{"garbage", write("garbage.pid", "\x00\x01garbage"), 0, ErrBadPIDFile},
		{"huge file", write("huge.pid", strings.Repeat("1", 100)), 0, ErrBadPIDFile},
		{"directory", dir, 0, errors.New("any")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readPIDFile(tt.path)
			switch {
			case tt.is == nil && (err != nil || got != tt.want):
				t.Errorf("readPIDFile(%s) = %d, %v, want %d", tt.path, got, err, tt.want)
			case tt.is != nil && err == nil:
				t.Errorf("readPIDFile(%s) = %d, nil, want an error", tt.path, got)
			case tt.is != nil && tt.is.Error() != "any" && !errors.Is(err, tt.is):
				t.Errorf("readPIDFile(%s) = %v, want %v", tt.path, err, tt.is)
			}
		})
	}
}

// TestPIDFileNotRegular: a FIFO or a character device as the pid file is
// a bad pid file at once: no read blocks a restart.
func TestPIDFileNotRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pagekite.pid")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, "/dev/zero", "/dev/null"} {
		done := make(chan error, 1)
		go func() {
			_, err := readPIDFile(path)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrBadPIDFile) {
				t.Errorf("readPIDFile(%s) = %v, want ErrBadPIDFile", path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("readPIDFile(%s) hangs", path)
		}
	}
}
