package stacks

import (
	"os"
	"strconv"
	"strings"
)

// RunTimes is each thread of pid's time on a CPU so far, in nanoseconds
// (the first field of /proc/PID/task/TID/schedstat), by TID; at most
// MaxThreads threads, none where the kernel keeps no such statistics.
func RunTimes(pid int) map[int]uint64 {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	f, err := os.Open(dir)
	if err != nil {
		return nil
	}
	names, _ := f.Readdirnames(MaxThreads)
	f.Close()
	out := make(map[int]uint64, len(names))
	for _, n := range names {
		tid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		b, err := os.ReadFile(dir + "/" + n + "/schedstat")
		if err != nil {
			continue
		}
		first, _, _ := strings.Cut(string(b), " ")
		if v, err := strconv.ParseUint(first, 10, 64); err == nil {
			out[tid] = v
		}
	}
	return out
}

// MarkRan sets RanAfterRead on each of s.Python's threads that ran (or
// ended) since s.PythonRunTimes were read with its stacks: its frames
// may have moved on since. Called just before the kill signal, it tells
// which frames read from memory a dump written at the kill could show
// elsewhere.
func MarkRan(s *Snapshot) {
	if s == nil || s.PythonRunTimes == nil {
		return
	}
	now := RunTimes(s.PID)
	for i := range s.Python {
		t := &s.Python[i]
		before, ok := s.PythonRunTimes[t.NativeID]
		after, still := now[t.NativeID]
		t.RanAfterRead = !ok || !still || after != before
	}
}
