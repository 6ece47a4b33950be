package pymem

import (
	"os"
	"strconv"
)

// pthreadWindow is how much of glibc's struct pthread is searched for its
// TID (found at +720 on amd64 and +104 on i386 with glibc 2.36).
const pthreadWindow = 2048

// nativeIDs fills the TIDs of threads read from 3.9 or 3.10, whose thread
// states keep only pthread_self(): a pointer to the C library's thread
// descriptor, which holds the TID at an offset of its own. As austin
// does, the offset is found, not assumed: the smallest one at which every
// thread's descriptor holds a distinct TID of the process
// (/proc/PID/task). Where none fits, the native ids stay 0.
func nativeIDs(r *reader, ts []rawThread, tids map[int]bool) {
	if len(ts) == 0 || len(tids) == 0 {
		return
	}
	windows := make([][]byte, len(ts))
	for i, t := range ts {
		m, ok := find(r.maps, t.pthread)
		if !ok || !m.readable() {
			return
		}
		b, err := r.bytes(t.pthread, int(min(pthreadWindow, m.End-t.pthread)))
		if err != nil {
			return
		}
		windows[i] = b
	}
offsets:
	for off := 0; off+4 <= pthreadWindow; off += 4 {
		seen := map[int]bool{}
		for _, w := range windows {
			if off+4 > len(w) {
				continue offsets
			}
			tid := int(int32(r.order.Uint32(w[off:])))
			if !tids[tid] || seen[tid] {
				continue offsets
			}
			seen[tid] = true
		}
		for i, w := range windows {
			ts[i].NativeID = int(int32(r.order.Uint32(w[off:])))
		}
		return
	}
}

// taskIDs lists the TIDs of pid's threads (at most maxTasks).
func taskIDs(pid int) map[int]bool {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return nil
	}
	defer f.Close()
	names, _ := f.Readdirnames(maxTasks)
	tids := make(map[int]bool, len(names))
	for _, n := range names {
		if tid, err := strconv.Atoi(n); err == nil {
			tids[tid] = true
		}
	}
	return tids
}

// maxTasks bounds the threads of a process looked at.
const maxTasks = 4096
