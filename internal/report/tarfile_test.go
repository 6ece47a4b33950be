package report

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTarWriter: what tarWriter writes reads back with archive/tar and
// with GNU tar, files of every size class (empty, a block, not a block).
func TestTarWriter(t *testing.T) {
	files := []struct {
		name string
		data []byte
	}{
		{"report.json", []byte(`{"schema":2}`)},
		{"empty", nil},
		{"root/pagekite-restart.log.gz", bytes.Repeat([]byte("x"), tarBlock)},
		{"core.gz", bytes.Repeat([]byte("y"), 3*tarBlock+7)},
	}
	var buf bytes.Buffer
	tw := &tarWriter{w: &buf}
	for _, f := range files {
		if err := tw.header(f.name, int64(len(f.data)), t0); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len()%tarBlock != 0 {
		t.Errorf("archive is %d bytes, want whole blocks", buf.Len())
	}
	tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
	for i := 0; ; i++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if i != len(files) {
				t.Errorf("read %d files, want %d", i, len(files))
			}
			break
		}
		if err != nil {
			t.Fatalf("archive/tar: %v", err)
		}
		data, _ := io.ReadAll(tr)
		f := files[i]
		if h.Name != f.name || !bytes.Equal(data, f.data) || h.Mode != 0o600 || !h.ModTime.Equal(t0) || h.Typeflag != tar.TypeReg || h.Format != tar.FormatUSTAR {
			t.Errorf("file %d = %q, %d bytes, mode %o, %v, type %c, %v; want %q, %d bytes, 0600, %v, regular, ustar",
				i, h.Name, len(data), h.Mode, h.ModTime, h.Typeflag, h.Format, f.name, len(f.data), t0)
		}
	}
	if gnu, err := exec.LookPath("tar"); err == nil {
		path := filepath.Join(t.TempDir(), "b.tar")
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(gnu, "-tf", path).CombinedOutput()
		if want := "report.json\nempty\nroot/pagekite-restart.log.gz\ncore.gz\n"; err != nil || string(out) != want {
			t.Errorf("tar -tf = %q, %v; want %q", out, err, want)
		}
	}

	// Misuse is an error, not a broken archive.
	tw = &tarWriter{w: io.Discard}
	if err := tw.header(strings.Repeat("n", 101), 1, t0); err == nil {
		t.Error("a 101-byte name was taken")
	}
	_ = tw.header("a", 2, t0)
	if _, err := tw.Write([]byte("abc")); err == nil {
		t.Error("writing past the size was taken")
	}
	if err := tw.close(); err == nil {
		t.Error("closing with bytes missing was taken")
	}
}
