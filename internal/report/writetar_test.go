package report

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/pagekite/pkwatchdogd/internal/redact"
)

// TestWriteTar: a bundle reads back with archive/tar and with GNU tar as a
// ustar archive of regular files, mode 0600, dated at the report's second,
// for members of every size class (empty, a block, not a block).
func TestWriteTar(t *testing.T) {
	dir := t.TempDir()
	b := NewBuilder(zaptest.NewLogger(t), Options{MaxBytes: 1 << 20}, redact.New(redact.Options{}))
	core, err := os.Create(filepath.Join(dir, "core"))
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	coreData := bytes.Repeat([]byte("y"), 3*512+7)
	if _, err := core.Write(coreData); err != nil {
		t.Fatal(err)
	}
	if _, err := core.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(987 * time.Millisecond)
	files := []struct {
		name string
		data []byte
	}{
		{JSONMember, []byte(`{"schema":2}`)},
		{LogMember, bytes.Repeat([]byte("x"), 512)},
		{CoreMember, coreData},
	}
	bundle, err := b.writeTar(dir, Input{Kite: "a.kite.test", At: at}, files[0].data, files[1].data, core)
	if err != nil {
		t.Fatalf("writeTar: %v", err)
	}
	raw, err := os.ReadFile(bundle.Path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw)%512 != 0 {
		t.Errorf("archive is %d bytes, want whole blocks", len(raw))
	}
	tr := tar.NewReader(bytes.NewReader(raw))
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
		if i >= len(files) {
			t.Fatalf("member %d %q, want %d members", i, h.Name, len(files))
		}
		data, _ := io.ReadAll(tr)
		f := files[i]
		if h.Name != f.name || !bytes.Equal(data, f.data) || h.Mode != 0o600 || !h.ModTime.Equal(t0) || h.Typeflag != tar.TypeReg || h.Format != tar.FormatUSTAR {
			t.Errorf("member %d = %q, %d bytes, mode %o, %v, type %c, %v; want %q, %d bytes, 0600, %v, regular, ustar",
				i, h.Name, len(data), h.Mode, h.ModTime, h.Typeflag, h.Format, f.name, len(f.data), t0)
		}
	}
	gnu, err := exec.LookPath("tar")
	if err != nil {
		t.Logf("SKIPPED: GNU tar: %v", err)
		return
	}
	out, err := exec.Command(gnu, "-tf", bundle.Path).CombinedOutput()
	if want := JSONMember + "\n" + LogMember + "\n" + CoreMember + "\n"; err != nil || string(out) != want {
		t.Errorf("tar -tf = %q, %v; want %q", out, err, want)
	}
}
