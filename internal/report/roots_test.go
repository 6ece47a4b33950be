package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"
)

// TestUploadRootsPerUpload: the upload verifies the collector against the
// system's roots as read at upload time (SSL_CERT_FILE, else the files of
// SSL_CERT_DIR), with no ca_file; with no root to be found it fails with
// errNoRoots and sends nothing.
func TestUploadRootsPerUpload(t *testing.T) {
	c := newCollector(t)
	dir := t.TempDir()
	pem, err := os.ReadFile(c.caFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "collector.pem"), pem, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	upload := func() error {
		u, err := NewUploader(zaptest.NewLogger(t), UploadOptions{URL: c.srv.URL, Tries: 1}, &memLimiter{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = u.Upload(context.Background(), testBundle(t, "rootsecret"))
		return err
	}
	for _, tt := range []struct {
		name, file, dir string
		ok              bool
	}{
		{"SSL_CERT_FILE", c.caFile, empty, true},
		{"SSL_CERT_DIR", filepath.Join(empty, "none.pem"), dir, true},
		{"no roots", filepath.Join(empty, "none.pem"), empty, false},
	} {
		t.Setenv("SSL_CERT_FILE", tt.file)
		t.Setenv("SSL_CERT_DIR", tt.dir)
		err := upload()
		if tt.ok && err != nil {
			t.Errorf("%s: Upload() = %v, want the collector verified", tt.name, err)
		}
		if !tt.ok && (err == nil || !strings.Contains(err.Error(), errNoRoots.Error())) {
			t.Errorf("%s: Upload() = %v, want %v", tt.name, err, errNoRoots)
		}
	}
	if n := len(c.received()); n != 2 {
		t.Errorf("collector got %d uploads, want 2", n)
	}
}
