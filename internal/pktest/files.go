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
