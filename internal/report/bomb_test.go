package report

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gzipBomb writes a gzip file of members gzip members, each the same
// MiB of log lines: 2 MB of file for 2 GiB of text at 2048 members (Go's
// and gzip's readers read every member).
func gzipBomb(t *testing.T, path string, members int) {
	t.Helper()
	line := strings.Repeat("x", 99) + "\n"
	var one bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&one, gzip.BestCompression)
	for i := 0; i < (1<<20)/len(line); i++ {
		zw.Write([]byte(line))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; i < members; i++ {
		if _, err := f.Write(one.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLogBomb: a rotated log that gunzips to 2 GiB is read only up to
// maxFileBytes (#23: it took 126 s), and a stop ends the read at once.
func TestLogBomb(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "pagekite.log")
	writeLog(t, log, []string{pkLine(t0, "x=1")})
	gzipBomb(t, log+".1.gz", 2048)
	if st, _ := os.Stat(log + ".1.gz"); st.Size() > 8<<20 {
		t.Fatalf("bomb is %d bytes", st.Size())
	}
	b := newTestBuilder(t, Options{LogFile: log, LogLines: 1000}, nil)
	start := time.Now()
	if _, err := b.Build(context.Background(), Input{Kite: "k", At: t0}); err != nil {
		t.Fatalf("Build() = %v", err)
	}
	took := time.Since(start)
	t.Logf("Build over a 2 GiB gzip bomb: %v", took)
	if took > 10*time.Second {
		t.Errorf("Build took %v, want the read bounded (maxFileBytes)", took)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start = time.Now()
	if _, err := fileLog(ctx, log, 1000, 0, time.Time{}); err == nil {
		t.Errorf("fileLog(stopped) = nil error")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("fileLog(stopped) took %v", took)
	}
}
