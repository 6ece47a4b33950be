package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name     string
		old      []byte // nil: no file before
		data     []byte
		perm     os.FileMode
		wantPerm os.FileMode
	}{
		{"new file", nil, []byte("hello"), 0o600, 0o600},
		{"replace", []byte("old content"), []byte("new"), 0o644, 0o644},
		{"empty", []byte("x"), []byte{}, 0o640, 0o640},
	}
	writers := []struct {
		name  string
		write func(string, []byte, os.FileMode) error
	}{{"Write", Write}, {"Replace", Replace}}
	for _, w := range writers {
		for _, tc := range tests {
			t.Run(w.name+"/"+tc.name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "f.json")
				if tc.old != nil {
					if err := os.WriteFile(path, tc.old, 0o666); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.write(path, tc.data, tc.perm); err != nil {
					t.Fatalf("%s(%s) = %v, want nil", w.name, path, err)
				}
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, tc.data) {
					t.Errorf("content after %s = %q, want %q", w.name, got, tc.data)
				}
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != tc.wantPerm {
					t.Errorf("mode after %s = %v, want %v", w.name, fi.Mode().Perm(), tc.wantPerm)
				}
				assertOnlyFile(t, dir, "f.json")
			})
		}
	}
}

// TestWriteFailureKeepsOld makes the final rename fail (the target is a
// non-empty directory) and checks nothing else changed and no temp file is
// left behind. A rename over a non-empty directory fails even for root.
func TestWriteFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	inner := filepath.Join(path, "keep")
	if err := os.WriteFile(inner, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new"), 0o644); err == nil {
		t.Fatalf("Write(%s over non-empty dir) = nil, want error", path)
	}
	got, err := os.ReadFile(inner)
	if err != nil || string(got) != "old" {
		t.Errorf("old content after failed Write = %q, %v, want %q", got, err, "old")
	}
	assertOnlyFile(t, dir, "f")
}

// TestWriteMissingDir: a write into a directory that does not exist fails
// and leaves the existing file of the same name elsewhere alone.
func TestWriteMissingDir(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "f")
	if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A path whose parent is a regular file: fails for root too.
	path := filepath.Join(old, "g")
	if err := Write(path, []byte("new"), 0o644); err == nil {
		t.Fatalf("Write(%s) = nil, want error", path)
	}
	got, err := os.ReadFile(old)
	if err != nil || string(got) != "old" {
		t.Errorf("content of %s = %q, %v, want %q", old, got, err, "old")
	}
	assertOnlyFile(t, dir, "f")
}

func assertOnlyFile(t *testing.T, dir, name string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != name {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("ReadDir(%s) = %v, want only %s (no temp files left)", dir, names, name)
	}
}

// TestReplaceFuncErrorKeepsOld: a fill that fails leaves the old file and
// no temporary file; one that succeeds replaces it.
func TestReplaceFuncErrorKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "status.json")
	if err := Replace(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := ReplaceFunc(path, 0o644, func(w io.Writer) error {
		_, _ = io.WriteString(w, strings.Repeat("x", 100<<10)) // past the buffer
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("ReplaceFunc(failing fill) = %v, want it to wrap the fill's error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old\n" {
		t.Errorf("file after a failed fill = %.20q, want the old content", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("dir holds %d entries after a failed fill, want only the file", len(ents))
	}
	if err := ReplaceFunc(path, 0o644, func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new\n" {
		t.Errorf("file after ReplaceFunc = %q, want new", b)
	}
}
