package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write replaces the file at path with data, mode perm: it writes a
// temporary file in the same directory, syncs it, renames it over path and
// syncs the directory. On any error the old file is left as it was.
func Write(path string, data []byte, perm os.FileMode) error {
	return write(path, bytesOf(data), perm, true)
}

// Replace is Write without the syncs: a reader still sees the old file or
// the new one, never a part, but after a power cut the file may be the old
// one. For files rewritten often that need not outlive the machine's
// uptime (the status file under /run): no flash wear, no disk flushes.
func Replace(path string, data []byte, perm os.FileMode) error {
	return write(path, bytesOf(data), perm, false)
}

// ReplaceFunc is Replace with the content written by fill, through a
// buffer, rather than held in memory whole: for a large file rewritten
// often (the status file of thousands of kites). An error from fill
// leaves the old file as it was.
func ReplaceFunc(path string, perm os.FileMode, fill func(w io.Writer) error) error {
	return write(path, fill, perm, false)
}

func bytesOf(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}

func write(path string, fill func(io.Writer) error, perm os.FileMode, sync bool) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err = fill(bw); err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	if sync {
		if err = f.Sync(); err != nil {
			return fmt.Errorf("atomic write %s: %w", path, err)
		}
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomic write %s: %w", path, err)
	}
	if !sync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomic write %s: sync dir: %w", path, err)
	}
	defer d.Close()
	if err = d.Sync(); err != nil {
		return fmt.Errorf("atomic write %s: sync dir: %w", path, err)
	}
	return nil
}
