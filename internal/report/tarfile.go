package report

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// tarWriter writes a POSIX ustar archive of regular files, all that a
// bundle holds, without archive/tar (whose reader and PAX/GNU formats the
// binary does not need: 20 KB less). Names must fit ustar's 100 bytes
// and sizes its 8 GiB; the bundle's do (report.json, the log, the core
// within report.max_bytes).
type tarWriter struct {
	w       io.Writer
	pending int64 // bytes of the current file still to be written
	pad     int64 // zero bytes after it, to the 512-byte block
}

const tarBlock = 512

// header starts a regular file: mode 0600, owner 0, mtime.
func (t *tarWriter) header(name string, size int64, mtime time.Time) error {
	if t.pending != 0 {
		return fmt.Errorf("tar: %d bytes of the last file missing", t.pending)
	}
	if len(name) > 100 || size < 0 || size >= 1<<33 {
		return fmt.Errorf("tar: %q (%d bytes) does not fit ustar", name, size)
	}
	if err := t.padding(); err != nil {
		return err
	}
	var h [tarBlock]byte
	copy(h[0:100], name)
	octal(h[100:108], 0o600)
	octal(h[108:116], 0)
	octal(h[116:124], 0)
	octal(h[124:136], size)
	octal(h[136:148], max(mtime.Unix(), 0))
	copy(h[148:156], "        ") // the checksum counts itself as blanks
	h[156] = '0'                 // regular file
	copy(h[257:265], "ustar\x0000")
	sum := 0
	for _, b := range h {
		sum += int(b)
	}
	copy(h[148:155], fmt.Sprintf("%06o\x00", sum))
	if _, err := t.w.Write(h[:]); err != nil {
		return err
	}
	t.pending, t.pad = size, (tarBlock-size%tarBlock)%tarBlock
	return nil
}

// Write writes the current file's content.
func (t *tarWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > t.pending {
		return 0, fmt.Errorf("tar: %d bytes more than the header's size", int64(len(p))-t.pending)
	}
	n, err := t.w.Write(p)
	t.pending -= int64(n)
	return n, err
}

// padding ends the current file at a block boundary.
func (t *tarWriter) padding() error {
	if t.pad == 0 {
		return nil
	}
	_, err := t.w.Write(make([]byte, t.pad))
	t.pad = 0
	return err
}

// close ends the archive with its two zero blocks.
func (t *tarWriter) close() error {
	if t.pending != 0 {
		return fmt.Errorf("tar: %d bytes of the last file missing", t.pending)
	}
	if err := t.padding(); err != nil {
		return err
	}
	_, err := t.w.Write(make([]byte, 2*tarBlock))
	return err
}

// octal writes v as NUL-terminated, zero-padded octal filling field.
func octal(field []byte, v int64) {
	s := strconv.FormatInt(v, 8)
	for i := range field[:len(field)-1] {
		field[i] = '0'
	}
	copy(field[len(field)-1-len(s):], s)
	field[len(field)-1] = 0
}
