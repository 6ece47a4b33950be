package report

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// TestStateDirOfAnotherUser: a state_dir whose reports/ another user made
// in advance, as a symlink or as their own directory, is refused (#23):
// the target keeps its mode and its files, and nothing is written there.
func TestStateDirOfAnotherUser(t *testing.T) {
	pktest.RequireRoot(t)
	const nobody = pktest.Nobody
	log := filepath.Join(t.TempDir(), "pagekite.log")
	writeLog(t, log, []string{pkLine(t0, "x=1")})
	for _, tt := range []struct {
		name  string
		setup func(t *testing.T, state, target string)
	}{
		{"reports is a symlink", func(t *testing.T, state, target string) {
			if err := os.Symlink(target, filepath.Join(state, "reports")); err != nil {
				t.Fatal(err)
			}
		}},
		{"reports belongs to nobody", func(t *testing.T, state, _ string) {
			dir := filepath.Join(state, "reports")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(dir, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}},
		{"state_dir belongs to nobody", func(t *testing.T, state, _ string) {
			if err := os.Chown(state, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}},
		{"state_dir is writable by others", func(t *testing.T, state, _ string) {
			if err := os.Chmod(state, 0o777); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "state")
			if err := os.Mkdir(state, 0o700); err != nil {
				t.Fatal(err)
			}
			target := t.TempDir()
			if err := os.Chmod(target, 0o755); err != nil {
				t.Fatal(err)
			}
			victim := filepath.Join(target, ".keep")
			if err := os.WriteFile(victim, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-48 * time.Hour)
			if err := os.Chtimes(victim, old, old); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, state, target)
			b := newTestBuilder(t, Options{LogFile: log, StateDir: state}, nil)
			_, err := b.Build(context.Background(), Input{Kite: "k", At: t0})
			if !errors.Is(err, safefile.ErrUntrustedDir) {
				t.Fatalf("Build() = %v, want ErrUntrustedDir", err)
			}
			st, err := os.Stat(target)
			if err != nil || st.Mode().Perm() != 0o755 {
				t.Errorf("target mode = %v (%v), want 0755 untouched", st.Mode().Perm(), err)
			}
			entries, _ := os.ReadDir(target)
			if len(entries) != 1 {
				t.Errorf("target holds %d entries, want only .keep", len(entries))
			}
		})
	}
}

// TestPruneOnlyOwnFiles: pruning removes old bundles and its own stale
// temporary files, never another user's file, a dotfile of another name,
// or a directory.
func TestPruneOnlyOwnFiles(t *testing.T) {
	pktest.RequireRoot(t)
	log := filepath.Join(t.TempDir(), "pagekite.log")
	writeLog(t, log, []string{pkLine(t0, "x=1")})
	b := newTestBuilder(t, Options{LogFile: log, Keep: 1}, nil)
	first, err := b.Build(context.Background(), Input{Kite: "k", At: t0})
	if err != nil {
		t.Fatal(err)
	}
	dir := b.Dir()
	old := time.Now().Add(-48 * time.Hour)
	mk := func(name string, uid int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := mk(".bundle-123.tar", 0)
	keep := []string{mk(".profile", 0), mk(".bundle-456.tar", 65534), mk(bundlePrefix+"19990101T000000Z-x.tar", 65534)}
	if err := os.Mkdir(filepath.Join(dir, ".empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	keep = append(keep, filepath.Join(dir, ".empty"))
	if _, err := b.Build(context.Background(), Input{Kite: "k", At: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(first.Path); !os.IsNotExist(err) {
		t.Errorf("the older own bundle was kept (Keep 1): %v", err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("own stale temporary file kept: %v", err)
	}
	for _, p := range keep {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
}
