package pktest

import (
	"debug/elf"
	"os"
	"strings"
	"testing"
)

// SyscallIs reports whether got, a thread's syscall as a report gives it,
// is one of names for a thread of the program exe. ReadThreads names only
// the numbers of its own build's machine: when exe is built for another
// (GOARCH=386 tests on an amd64 host, against amd64 programs), a report
// rightly says "syscall N", and that is what this accepts then.
func SyscallIs(t testing.TB, exe, got string, names ...string) bool {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("this test's executable: %v", err)
	}
	if !sameELF(t, self, exe) {
		return strings.HasPrefix(got, "syscall ")
	}
	for _, n := range names {
		if got == n {
			return true
		}
	}
	return false
}

// sameELF: a and b are built for one machine (class, byte order, e_machine).
func sameELF(t testing.TB, a, b string) bool {
	t.Helper()
	var ids [2][3]int
	for i, p := range []string{a, b} {
		f, err := elf.Open(p)
		if err != nil {
			t.Fatalf("ELF header of %s: %v", p, err)
		}
		ids[i] = [3]int{int(f.Class), int(f.Data), int(f.Machine)}
		f.Close()
	}
	return ids[0] == ids[1]
}
