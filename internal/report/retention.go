package report

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

const (
	// bundlePrefix starts the name of every saved bundle; the UTC time
	// after it makes names sort by age.
	bundlePrefix = "KITE-DOWN-"
	// staleTemp is the age past which a temporary file is a leftover of a
	// crash and removed.
	staleTemp = time.Hour
)

// Bundles lists the saved bundles in dir, newest first.
func Bundles(dir string) ([]Bundle, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Bundle
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, bundlePrefix) || !strings.HasSuffix(name, ".tar") {
			continue
		}
		info, err := e.Info()
		if err != nil || !safefile.OwnedFile(info) {
			continue // only what pkwatchdogd wrote
		}
		out = append(out, Bundle{Path: filepath.Join(dir, name), Size: info.Size()})
	}
	// sort.Slice, not slices.SortFunc: a generic sort of a struct type is
	// ~14 KB of code of its own in the binary.
	sort.Slice(out, func(i, j int) bool { return out[i].Path > out[j].Path })
	return out, nil
}

// ownTemp reports whether name is one of the temporary files Build makes
// (os.CreateTemp's ".bundle-*.tar" and ".core-*.gz"): pruning removes no
// other file.
func ownTemp(name string) bool {
	for _, pattern := range []string{".bundle-*.tar", ".core-*.gz"} {
		if ok, _ := filepath.Match(pattern, name); ok {
			return true
		}
	}
	return false
}

// pruneLocked keeps the newest Keep bundles within MaxBytes in all and
// removes the others, never the one just written (keep), and temporary
// files left by a crash. Caller holds b.mu.
func (b *Builder) pruneLocked(dir, keep string) {
	all, err := Bundles(dir)
	if err != nil {
		b.log.Warn("reports not pruned", zap.String("dir", dir), zap.Error(err))
		return
	}
	var (
		kept  int
		total int64
		full  bool // older bundles than a removed one are removed too
	)
	// The new bundle counts first, whatever its name sorts as.
	for _, x := range all {
		if x.Path == keep {
			kept, total = 1, x.Size
		}
	}
	for _, x := range all {
		if x.Path == keep {
			continue
		}
		if !full && kept < b.opts.Keep && total+x.Size <= b.opts.MaxBytes {
			kept++
			total += x.Size
			continue
		}
		full = true
		if err := os.Remove(x.Path); err != nil {
			b.log.Warn("old report not removed", zap.String("path", x.Path), zap.Error(err))
			continue
		}
		b.log.Info("old report removed", zap.String("path", x.Path), zap.Int64("bytes", x.Size))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !ownTemp(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil && safefile.OwnedFile(info) && b.now().Sub(info.ModTime()) > staleTemp {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
