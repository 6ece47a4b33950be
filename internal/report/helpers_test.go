package report

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/pagekite/pkwatchdogd/internal/redact"
)

// pkLine formats a pagekite.py log line at t.
func pkLine(t time.Time, rest string) string {
	return fmt.Sprintf("ts=%x; t=%s; ll=1; %s", t.Unix(), t.UTC().Format("2006-01-02T15:04:05"), rest)
}

// writeLog writes lines to path, gzipped if the name ends in .gz.
func writeLog(t *testing.T, path string, lines []string) {
	t.Helper()
	data := []byte(strings.Join(lines, "\n") + "\n")
	if strings.HasSuffix(path, ".gz") {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		data = b.Bytes()
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readBundle returns the members of a bundle, the log gunzipped, and the
// raw tar bytes.
func readBundle(t *testing.T, path string) (members map[string][]byte, raw []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	members = map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read tar %s: %v", path, err)
		}
		if hdr.Mode != 0o600 {
			t.Errorf("tar member %s mode = %o, want 600", hdr.Name, hdr.Mode)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(hdr.Name, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("gunzip %s: %v", hdr.Name, err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatalf("gunzip %s: %v", hdr.Name, err)
			}
		}
		members[hdr.Name] = data
	}
	return members, raw
}

// newTestBuilder returns a Builder writing under a temporary state dir.
func newTestBuilder(t *testing.T, opts Options, r *redact.Redactor) *Builder {
	t.Helper()
	if opts.StateDir == "" {
		opts.StateDir = filepath.Join(t.TempDir(), "state")
	}
	if opts.Version == "" {
		opts.Version = "0.0.0-test"
	}
	if r == nil {
		r = redact.New(redact.Options{RedactIPs: true})
	}
	return NewBuilder(zaptest.NewLogger(t), opts, r)
}

// memLimiter is an in-memory Limiter allowing one upload attempt per
// interval. The real, persisted one is tested in internal/ratelimit.
type memLimiter struct {
	interval time.Duration

	mu       sync.Mutex // guards the fields below
	last     time.Time
	attempts []bool
}

func (m *memLimiter) AllowUpload(now time.Time) (bool, time.Time, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.last.IsZero() && now.Before(m.last.Add(m.interval)) {
		return false, m.last.Add(m.interval), "one upload per interval"
	}
	return true, time.Time{}, ""
}

func (m *memLimiter) RecordUploadAttempt(now time.Time, accepted bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last = now
	m.attempts = append(m.attempts, accepted)
	return nil
}

func (m *memLimiter) recorded() []bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]bool(nil), m.attempts...)
}
