package pymem

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// mapping is one line of /proc/PID/maps.
type mapping struct {
	Start, End uint64
	Perms      string
	Offset     uint64
	Inode      uint64
	Path       string
}

// readable reports whether the walker may read the mapping: readable, and
// neither a device nor a kernel page whose reads fail or have effects.
func (m mapping) readable() bool {
	if !strings.HasPrefix(m.Perms, "r") {
		return false
	}
	switch {
	case strings.HasPrefix(m.Path, "/dev/"), m.Path == "[vvar]", m.Path == "[vvar_vclock]", m.Path == "[vsyscall]":
		return false
	}
	return true
}

// readMaps reads /proc/PID/maps.
func readMaps(pid int) ([]mapping, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		return nil, fmt.Errorf("read the process's mappings: %w", err)
	}
	defer f.Close()
	return parseMaps(f)
}

// parseMaps parses the lines of a maps file, sorted by start; at most
// maxMaps lines, each at most 4 KiB.
func parseMaps(r io.Reader) ([]mapping, error) {
	var ms []mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 4096)
	for sc.Scan() {
		if len(ms) == maxMaps {
			return nil, fmt.Errorf("more than %d mappings", maxMaps)
		}
		m, ok := parseMapLine(sc.Text())
		if !ok {
			return nil, fmt.Errorf("unreadable mapping %.80q", sc.Text())
		}
		ms = append(ms, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the process's mappings: %w", err)
	}
	slices.SortFunc(ms, func(a, b mapping) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	return ms, nil
}

// parseMapLine parses "start-end perms offset dev inode   path".
func parseMapLine(l string) (mapping, bool) {
	f := strings.Fields(l)
	if len(f) < 5 {
		return mapping{}, false
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	if !ok {
		return mapping{}, false
	}
	var m mapping
	var err1, err2, err3, err4 error
	m.Start, err1 = strconv.ParseUint(lo, 16, 64)
	m.End, err2 = strconv.ParseUint(hi, 16, 64)
	m.Offset, err3 = strconv.ParseUint(f[2], 16, 64)
	m.Inode, err4 = strconv.ParseUint(f[4], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || m.End <= m.Start {
		return mapping{}, false
	}
	m.Perms = f[1]
	if len(f) > 5 {
		// The path is the rest of the line: it may hold spaces.
		i := strings.Index(l, f[5])
		m.Path = l[i:]
	}
	return m, true
}

// find returns the mapping holding addr.
func find(ms []mapping, addr uint64) (mapping, bool) {
	i, _ := slices.BinarySearchFunc(ms, addr, func(m mapping, a uint64) int {
		switch {
		case m.End <= a:
			return -1
		case m.Start > a:
			return 1
		}
		return 0
	})
	if i < len(ms) && ms[i].Start <= addr && addr < ms[i].End {
		return ms[i], true
	}
	return mapping{}, false
}
