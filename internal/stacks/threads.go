package stacks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Thread is one thread's kernel-side state, read from /proc/PID/task/TID.
type Thread struct {
	TID  int    `json:"tid"`
	Comm string `json:"comm"`
	// State is the state letter of stat: R running, S sleeping, D
	// uninterruptible (disk, NFS), T stopped, t traced, Z zombie.
	State string `json:"state"`
	// Wchan is the kernel function it sleeps in ("" when running).
	Wchan string `json:"wchan,omitempty"`
	// Syscall is the system call it is blocked in, by name ("futex",
	// "epoll_wait"), "syscall N" for one this table does not name,
	// "running" (on a CPU) or "none" (not in a system call); "" unknown.
	Syscall string `json:"syscall,omitempty"`
	// LastRanMS is how long ago it last ran, in milliseconds, where the
	// kernel keeps scheduler statistics (/proc/.../sched); nil unknown.
	LastRanMS *int64 `json:"last_ran_ms_ago,omitempty"`
}

// ReadThreads reads the state of every thread of pid (at most MaxThreads,
// in tid order). A thread that ends while it is read is left out; the
// error is for a process that cannot be read at all.
func ReadThreads(pid int) ([]Thread, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("threads of pid %d: %w", pid, err)
	}
	names, err := f.Readdirnames(4 * MaxThreads)
	f.Close()
	if err != nil && len(names) == 0 {
		return nil, fmt.Errorf("threads of pid %d: %w", pid, err)
	}
	tids := make([]int, 0, len(names))
	for _, n := range names {
		if tid, err := strconv.Atoi(n); err == nil {
			tids = append(tids, tid)
		}
	}
	slices.Sort(tids)
	if len(tids) > MaxThreads {
		tids = tids[:MaxThreads]
	}
	now, nowOK := schedClock("/proc/thread-self/sched")
	named := sameMachine("/proc/self/exe", "/proc/"+strconv.Itoa(pid)+"/exe")
	threads := make([]Thread, 0, len(tids))
	for _, tid := range tids {
		t, ok := readThread(dir+"/"+strconv.Itoa(tid), tid, named)
		if !ok {
			continue
		}
		if at, ok := schedClock(dir + "/" + strconv.Itoa(tid) + "/sched"); ok && nowOK {
			// Later than our own start (another CPU's clock, or it ran
			// while we did): it runs now.
			ms := int64(max(now-at, 0))
			t.LastRanMS = &ms
		}
		threads = append(threads, t)
	}
	if len(threads) == 0 {
		return nil, fmt.Errorf("threads of pid %d: none readable", pid)
	}
	return threads, nil
}

// readThread reads one task directory.
// named: its syscall numbers are this build's (sameMachine).
func readThread(dir string, tid int, named bool) (Thread, bool) {
	t := Thread{TID: tid}
	stat, err := readSmall(dir + "/stat")
	if err != nil {
		return t, false
	}
	open, close := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || close < open || close+3 > len(stat) {
		return t, false
	}
	t.Comm = clip(string(stat[open+1 : close]))
	t.State = string(stat[close+2 : close+3])
	if w, err := readSmall(dir + "/wchan"); err == nil && string(w) != "0" {
		t.Wchan = clip(strings.TrimSpace(string(w)))
	}
	if s, err := readSmall(dir + "/syscall"); err == nil {
		t.Syscall = syscallOf(string(s), named)
	}
	return t, true
}

// syscallOf names the first field of /proc/.../syscall; named false
// gives numbers only.
func syscallOf(s string, named bool) string {
	f, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	switch f {
	case "":
		return ""
	case "running":
		return "running"
	case "-1":
		return "none"
	}
	n, err := strconv.ParseUint(f, 10, 32)
	if err != nil {
		return ""
	}
	if name, ok := syscallNames[uintptr(n)]; ok && named {
		return name
	}
	return "syscall " + f
}

// schedClock is se.exec_start of a sched file: when the task last started
// running, in milliseconds of the scheduler's clock.
func schedClock(path string) (float64, bool) {
	b, err := readSmall(path)
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "se.exec_start"); ok {
			_, v, ok := strings.Cut(rest, ":")
			if !ok {
				return 0, false
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

// readSmall reads at most 8 KiB of a /proc file.
func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 8<<10)
	n, err := f.Read(b)
	if n == 0 && err != nil {
		return nil, err
	}
	return b[:n], nil
}

// clip bounds a name kept in a report.
func clip(s string) string {
	if len(s) > maxName {
		return s[:maxName]
	}
	return s
}

// sameMachine reports whether the executables at a and b are ELF files of
// the same class, byte order and machine (their syscall numbers agree).
func sameMachine(a, b string) bool {
	ha, errA := elfIdent(a)
	hb, errB := elfIdent(b)
	return errA == nil && errB == nil && ha == hb
}

// elfIdent is what of an ELF header decides the syscall table: class
// (byte 4), data (5) and e_machine (18-19).
func elfIdent(path string) ([4]byte, error) {
	var id [4]byte
	f, err := os.Open(path)
	if err != nil {
		return id, err
	}
	defer f.Close()
	var h [20]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return id, err
	}
	if string(h[:4]) != "\x7fELF" {
		return id, errors.New("not an ELF file")
	}
	return [4]byte{h[4], h[5], h[18], h[19]}, nil
}
