package pymem

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// TestRead32 reads known.py under Debian's i386 python3.11 (unpacked by
// test/py32.sh), a real 32-bit process, and compares the read with
// faulthandler's dump as TestReadMatchesFaulthandler does. The process
// runs through its folder's own ld-linux.so.2, so /proc/PID/exe is ld.so
// and locate must find the python executable among its mappings. go test
// runs it with the amd64 reader, test/qemu-test.sh (GOARCH=386) with the
// 386 one.
func TestRead32(t *testing.T) {
	pktest.RequireRoot(t)
	py, exe := pktest.PythonI386(t)
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real // the path the process maps
	}
	k := startKnown(t, []string{py.Path}, 80)
	pid := k.pid
	proc := fmt.Sprintf("/proc/%d", pid)
	if got, err := os.Readlink(proc + "/exe"); err != nil || filepath.Base(got) != "ld-linux.so.2" {
		t.Errorf("readlink %s/exe = %q, %v, want the folder's ld-linux.so.2", proc, got, err)
	}
	maps, err := readMaps(pid)
	if err != nil {
		t.Fatal(err)
	}
	in, err := locate(maps, proc+"/root", proc+"/exe")
	if err != nil {
		t.Fatalf("locate = %v, want %s", err, exe)
	}
	if in.File != exe || in.ABI != I386 || in.PtrSize != 4 || in.Order != binary.LittleEndian || in.Minor != 11 {
		t.Errorf("locate = %s, %v, %d-byte pointers, %v, 3.%d; want %s, I386, 4, LittleEndian, 3.11",
			in.File, in.ABI, in.PtrSize, in.Order, in.Minor, exe)
	}
	if s := readMatchesDump(t, k); s.File != exe {
		t.Errorf("Read: File = %s, want %s", s.File, exe)
	}
}

// TestELF32 opens Debian 12's armhf and i386 python3.11 executables
// (test/py32.sh) with locate's own path (fromFile: symbol, abiOf,
// version): _PyRuntime at the start of its .PyRuntime section, the ABI,
// pointer size and byte order of the machine, the version from Py_Version,
// and a layout for it whose runtime offsets lie inside _PyRuntime. The
// armhf file is read, never run: no armhf process is read on this machine.
func TestELF32(t *testing.T) {
	cases := []struct {
		name    string
		path    func(t *testing.T) string
		machine elf.Machine
		abi     ABI
	}{
		{"armhf", func(t *testing.T) string { return pktest.PythonArmhfELF(t) }, elf.EM_ARM, ARM32},
		{"i386", func(t *testing.T) string { _, exe := pktest.PythonI386(t); return exe }, elf.EM_386, I386},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.path(t)
			f, err := elf.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Machine != c.machine || f.Type != elf.ET_EXEC {
				t.Fatalf("%s: %v %v, want %v ET_EXEC (Debian links python3.11 at a fixed address)", p, f.Machine, f.Type, c.machine)
			}
			sym, ok := symbol(f, "_PyRuntime")
			if !ok {
				t.Fatalf("symbol(%s, _PyRuntime) = _, false", p)
			}
			sec := f.Sections[sym.Section]
			if sec.Name != ".PyRuntime" || sym.Value != sec.Addr {
				t.Errorf("_PyRuntime at %#x in %s (at %#x), want the start of .PyRuntime", sym.Value, sec.Name, sec.Addr)
			}
			// An executable at a fixed address: no mapping is needed for
			// its load bias (0).
			in, err := fromFile(nil, p, p)
			if err != nil {
				t.Fatalf("fromFile(%s) = %v", p, err)
			}
			if in.Runtime != sym.Value || in.ABI != c.abi || in.PtrSize != 4 || in.Order != binary.LittleEndian {
				t.Errorf("fromFile(%s) = _PyRuntime %#x, %v, %d-byte pointers, %v; want %#x, %v, 4, LittleEndian",
					p, in.Runtime, in.ABI, in.PtrSize, in.Order, sym.Value, c.abi)
			}
			// Debian 12's python3.11.
			if in.Minor != 11 || in.Version != "3.11.2" {
				t.Errorf("fromFile(%s) = 3.%d, %q, want 3.11, 3.11.2", p, in.Minor, in.Version)
			}
			l, ok := layoutFor(in.Minor, in.ABI)
			if !ok {
				t.Fatalf("layoutFor(%d, %v) = _, false", in.Minor, in.ABI)
			}
			if end := uint64(l.RuntimeInterpretersHead) + uint64(in.PtrSize); end > sym.Size {
				t.Errorf("layoutFor(%d, %v).RuntimeInterpretersHead = %d, past _PyRuntime's %d bytes", in.Minor, in.ABI, l.RuntimeInterpretersHead, sym.Size)
			}
			t.Logf("%s: _PyRuntime at %#x in %s, %d bytes, %v, CPython %s", p, sym.Value, sec.Name, sym.Size, in.ABI, in.Version)
		})
	}
}
