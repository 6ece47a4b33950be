package pklog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// TestUntrustedFilesAreNoVerdict: a pagekitec status file saying
// "rejected", or a PageKite log with a rejection, counts only when it is
// a regular file of root, pkwatchdogd's user or PageKite's (Owner),
// writable by no one else, and not a symlink. One planted by nobody in a
// sticky directory (as /tmp), a symlink to a good one, a group- or
// world-writable one show no rejection; the error wraps ErrUntrustedFile
// (for the once-only warning) and Trust says the same for validate. #30:
// nobody's status file gave 7 "rejected" verdicts and no restart.
func TestUntrustedFilesAreNoVerdict(t *testing.T) {
	pktest.RequireRoot(t)
	const nobody = pktest.Nobody
	dir := t.TempDir()
	if err := os.Chmod(dir, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	status := fmt.Sprintf("{\"pagekitec_status\": \"rejected\", \"pagekitec_update_min_interval\": 240, \"pagekitec_update_ts\": %d}\n", now.Unix()-10)
	n := 0
	plant := func(body string, uid int, perm os.FileMode) string {
		t.Helper()
		n++
		return pktest.WriteOwned(t, filepath.Join(dir, fmt.Sprintf("f%d", n)), body, uid, perm)
	}
	link := func(to string) string {
		t.Helper()
		n++
		p := filepath.Join(dir, fmt.Sprintf("l%d", n))
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		src     func() *Source
		trusted bool
	}{
		{"status file of root", func() *Source { return &Source{StatusFile: plant(status, 0, 0o644)} }, true},
		{"status file of PageKite's user", func() *Source { return &Source{StatusFile: plant(status, nobody, 0o644), Owner: nobody} }, true},
		{"status file of nobody", func() *Source { return &Source{StatusFile: plant(status, nobody, 0o644)} }, false},
		{"status file of nobody, PageKite another", func() *Source { return &Source{StatusFile: plant(status, nobody, 0o644), Owner: 1000} }, false},
		{"status file group-writable", func() *Source { return &Source{StatusFile: plant(status, 0, 0o664)} }, false},
		{"status file world-writable", func() *Source { return &Source{StatusFile: plant(status, 0, 0o666)} }, false},
		{"status file a symlink to root's", func() *Source { return &Source{StatusFile: link(plant(status, 0, 0o644))} }, false},
		{"log of root", func() *Source { return &Source{LogFile: plant(pyRejected+"\n", 0, 0o644)} }, true},
		{"log of nobody", func() *Source { return &Source{LogFile: plant(pyRejected+"\n", nobody, 0o644)} }, false},
		{"log world-writable", func() *Source { return &Source{LogFile: plant(pyRejected+"\n", 0, 0o646)} }, false},
		{"log a symlink to root's", func() *Source { return &Source{LogFile: link(plant(pyRejected+"\n", 0, 0o644))} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src()
			r, ok, err := src.Rejection(context.Background(), "bad.kite.test", now)
			if tt.trusted {
				if !ok || err != nil || src.Trust() != nil {
					t.Errorf("Rejection() = %+v, %v, %v, Trust() = %v; want a rejection, no error", r, ok, err, src.Trust())
				}
				return
			}
			if ok || !errors.Is(err, safefile.ErrUntrustedFile) {
				t.Errorf("Rejection() = %+v, %v, %v; want none, ErrUntrustedFile", r, ok, err)
			}
			if err := src.Trust(); !errors.Is(err, safefile.ErrUntrustedFile) {
				t.Errorf("Trust() = %v, want ErrUntrustedFile", err)
			}
		})
	}
}

// TestUntrustedStatusFileEndsAHeldRejection: a "rejected" read from a
// trusted status file no longer holds once the file in its place is
// another user's.
func TestUntrustedStatusFileEndsAHeldRejection(t *testing.T) {
	pktest.RequireRoot(t)
	path := filepath.Join(t.TempDir(), "status.json")
	now := time.Unix(1_800_000_000, 0)
	body := fmt.Sprintf("{\"pagekitec_status\": \"rejected\", \"pagekitec_update_ts\": %d}\n", now.Unix())
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	src := &Source{StatusFile: path}
	if _, ok, err := src.Rejection(context.Background(), "a.kite.test", now); !ok || err != nil {
		t.Fatalf("Rejection(root's rejected) = %v, %v; want a rejection", ok, err)
	}
	if err := os.WriteFile(path, []byte(body[:len(body)-2]+", \"x\": 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, pktest.Nobody, pktest.Nobody); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := src.Rejection(context.Background(), "a.kite.test", now.Add(time.Second)); ok || !errors.Is(err, safefile.ErrUntrustedFile) {
		t.Errorf("Rejection(nobody's, a rejection held) = %v, %v; want none, ErrUntrustedFile", ok, err)
	}
}
