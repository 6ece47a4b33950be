package action

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CoreFile is a core dump left by the killed process.
type CoreFile struct {
	// Path is the core file, or "coredumpctl:PID" for a dump that
	// systemd-coredump stored.
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// coreFacts are what core_pattern specifiers expand to, read before the kill
// (the process's /proc entry is gone after it).
type coreFacts struct {
	pid, uid, gid int
	cwd, comm     string
	exe, hostname string
	signal        int
	limit         int64
	usesPID       bool
}

// readCoreFacts collects coreFacts for p; what cannot be read stays empty
// and is globbed.
func readCoreFacts(p Process, signal int, limit int64) coreFacts {
	dir := fmt.Sprintf("/proc/%d", p.PID)
	f := coreFacts{pid: p.PID, uid: p.UID, gid: -1, signal: signal, limit: limit}
	f.cwd, _ = os.Readlink(dir + "/cwd")
	if b, err := os.ReadFile(dir + "/comm"); err == nil {
		f.comm = strings.TrimRight(string(b), "\n")
	}
	f.exe, _ = os.Readlink(dir + "/exe")
	if b, err := os.ReadFile(dir + "/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "Gid:"); ok {
				if fs := strings.Fields(rest); len(fs) > 0 {
					f.gid, _ = strconv.Atoi(fs[0])
				}
			}
		}
	}
	f.hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/core_uses_pid"); err == nil {
		f.usesPID = strings.TrimSpace(string(b)) == "1"
	}
	return f
}

// globEscape quotes the characters filepath.Match treats specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// coreGlob turns a (non-pipe) core_pattern into a glob for the core file of
// the process described by f: known specifiers are expanded, unknown ones
// (%t, %i, %d, ...) become "*". A relative pattern is taken relative to the
// process's working directory.
func coreGlob(pattern string, f coreFacts) string {
	if pattern == "" {
		pattern = "core"
	}
	known := func(v string) string {
		if v == "" {
			return "*"
		}
		return globEscape(v)
	}
	num := func(v int) string {
		if v < 0 {
			return "*"
		}
		return strconv.Itoa(v)
	}
	var b strings.Builder
	hasPID := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c != '%' || i+1 == len(pattern) {
			b.WriteString(globEscape(string(c)))
			continue
		}
		i++
		switch pattern[i] {
		case '%':
			b.WriteByte('%')
		case 'p', 'P':
			hasPID = true
			b.WriteString(num(f.pid))
		case 'u':
			b.WriteString(num(f.uid))
		case 'g':
			b.WriteString(num(f.gid))
		case 's':
			b.WriteString(num(f.signal))
		case 'e':
			b.WriteString(known(f.comm))
		case 'E':
			b.WriteString(known(strings.ReplaceAll(f.exe, "/", "!")))
		case 'f':
			b.WriteString(known(filepath.Base(f.exe)))
		case 'h':
			b.WriteString(known(f.hostname))
		case 'c':
			if f.limit < 0 {
				b.WriteString(strconv.FormatUint(^uint64(0), 10))
			} else {
				b.WriteString(strconv.FormatInt(f.limit, 10))
			}
		default: // %t, %i, %I, %d, %C and future ones
			b.WriteByte('*')
		}
	}
	if !hasPID && f.usesPID {
		b.WriteString("." + strconv.Itoa(f.pid))
	}
	g := b.String()
	if !strings.HasPrefix(g, "/") {
		if f.cwd == "" {
			return ""
		}
		g = filepath.Join(globEscape(f.cwd), g)
	}
	return g
}

// findCoreFile returns the newest regular file matching glob that was
// written at or after since, or nil.
func findCoreFile(glob string, since time.Time) *CoreFile {
	if glob == "" {
		return nil
	}
	matches, _ := filepath.Glob(glob)
	var best *CoreFile
	var bestTime time.Time
	for _, m := range matches {
		fi, err := os.Lstat(m)
		if err != nil || !fi.Mode().IsRegular() || fi.ModTime().Before(since.Add(-2*time.Second)) {
			continue
		}
		if best == nil || fi.ModTime().After(bestTime) {
			best, bestTime = &CoreFile{Path: m, Size: fi.Size()}, fi.ModTime()
		}
	}
	return best
}

// coredumpctlEntry is one line of `coredumpctl --json=short list`.
type coredumpctlEntry struct {
	PID      int    `json:"pid"`
	Corefile string `json:"corefile"`
	Size     int64  `json:"size"`
}

// findCoredumpctl asks coredumpctl for a stored dump of pid; nil when it is
// not installed or has none.
func findCoredumpctl(ctx context.Context, pid int) *CoreFile {
	out, err := runCommand(ctx, []string{"coredumpctl", "--json=short", "--no-pager", "--no-legend", "list", strconv.Itoa(pid)}, systemdTimeout)
	if err != nil {
		return nil
	}
	return parseCoredumpctl(out, pid)
}

// parseCoredumpctl picks pid's present dump from coredumpctl's JSON.
func parseCoredumpctl(out string, pid int) *CoreFile {
	var entries []coredumpctlEntry
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &entries); err != nil {
		return nil
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.PID == pid && (e.Corefile == "present" || e.Corefile == "journal") {
			return &CoreFile{Path: "coredumpctl:" + strconv.Itoa(pid), Size: e.Size}
		}
	}
	return nil
}
