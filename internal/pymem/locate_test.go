package pymem

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestLocatePlanted: files a process maps under a python name, but that
// are no ELF file with _PyRuntime (a FIFO, a text file, a truncated ELF),
// give ErrNotPython at once, never a hang or a panic.
func TestLocatePlanted(t *testing.T) {
	root := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(root, "libpython3.11.so.1.0"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "python3.11"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	elfHead := []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x3e\x00\x01\x00\x00\x00")
	if err := os.WriteFile(filepath.Join(root, "libpython3.12.so"), append(elfHead, make([]byte, 40)...), 0o644); err != nil {
		t.Fatal(err)
	}
	maps := []mapping{
		{Start: 0x1000, End: 0x2000, Perms: "r--p", Path: "/libpython3.11.so.1.0"},
		{Start: 0x3000, End: 0x4000, Perms: "r-xp", Path: "/python3.11"},
		{Start: 0x5000, End: 0x6000, Perms: "r--p", Path: "/libpython3.12.so"},
	}
	done := make(chan error, 1)
	go func() {
		_, err := locate(maps, root, filepath.Join(root, "no-exe"))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotPython) {
			t.Errorf("locate(planted files) = %v, want ErrNotPython", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("locate hung on a FIFO named like libpython")
	}
}
