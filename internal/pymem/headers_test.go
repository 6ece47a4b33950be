package pymem

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// headerSet is one CPython version's installed headers: pyenv's (with
// internal/) or Debian's libpython3.X-dev (/usr/include/python3.X).
type headerSet struct {
	name  string // "pyenv 3.11.7", "debian 3.11"
	minor int
	inc   string // the dir holding Python.h
	// debian: pyconfig.h is Debian's multiarch wrapper that includes
	// <triplet/python3.X/pyconfig.h>.
	debian bool
	// lib is the version's libpython shared library, if any (pyenv), for
	// reading 3.13's _Py_DebugOffsets out of its _PyRuntime.
	lib string
}

// findHeaderSets lists the CPython 3.9 to 3.13 headers installed here:
// pyenv's versions under $PYENV_ROOT (default ~/.pyenv) and Debian's.
func findHeaderSets(t *testing.T) []headerSet {
	t.Helper()
	root := os.Getenv("PYENV_ROOT")
	if root == "" {
		home, _ := os.UserHomeDir()
		root = filepath.Join(home, ".pyenv")
	}
	var sets []headerSet
	dirs, _ := filepath.Glob(filepath.Join(root, "versions", "3.*", "include", "python3.*"))
	re := regexp.MustCompile(`versions/(3\.(\d+)\.\d+)/include/python3\.(\d+)$`)
	for _, d := range dirs {
		m := re.FindStringSubmatch(d)
		if m == nil || m[2] != m[3] {
			continue
		}
		minor, _ := strconv.Atoi(m[2])
		if _, ok := layoutFor(minor, LP64); !ok {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "internal", "pycore_runtime.h")); err != nil {
			continue
		}
		lib, _ := filepath.Glob(filepath.Join(root, "versions", m[1], "lib", "libpython3.*.so.1.0"))
		s := headerSet{name: "pyenv " + m[1], minor: minor, inc: d}
		if len(lib) == 1 {
			s.lib = lib[0]
		}
		sets = append(sets, s)
	}
	for minor := 9; minor <= 13; minor++ {
		d := fmt.Sprintf("/usr/include/python3.%d", minor)
		if _, err := os.Stat(filepath.Join(d, "internal", "pycore_runtime.h")); err == nil {
			sets = append(sets, headerSet{name: fmt.Sprintf("debian 3.%d", minor), minor: minor, inc: d, debian: true})
		}
	}
	sort.Slice(sets, func(i, j int) bool { return sets[i].name < sets[j].name })
	return sets
}

// multiarchInclude is where Debian's per-arch pyconfig.h files are
// (libpython3.X-dev:ARCH installs <triplet>/python3.X/pyconfig.h there).
var multiarchInclude = "/usr/include"

// abiCompiler is how the test compiles offsets.c for one ABI.
type abiCompiler struct {
	abi     ABI
	name    string
	cc      []string // the compiler and its ABI flags
	triplet string   // Debian's multiarch triplet
	machine elf.Machine
	class   elf.Class
	// sizes are pyconfig.h's SIZEOF_/ALIGNOF_ values this ABI has where
	// they differ from amd64's (as in Debian's pyconfig.h of that arch).
	sizes map[string]int
	pkg   string // the Debian package that brings the compiler
}

// ilp32 are the pyconfig.h values of 32-bit Linux, from Debian 12's
// i386 and armhf pyconfig.h (3.11.2); long double is set per ABI.
func ilp32(longDouble int) map[string]int {
	return map[string]int{
		"SIZEOF_LONG": 4, "SIZEOF_SIZE_T": 4, "SIZEOF_TIME_T": 4,
		"SIZEOF_UINTPTR_T": 4, "SIZEOF_VOID_P": 4, "SIZEOF_PTHREAD_T": 4,
		"SIZEOF_LONG_DOUBLE": longDouble, "ALIGNOF_LONG": 4, "ALIGNOF_SIZE_T": 4,
	}
}

var abiCompilers = []abiCompiler{
	{abi: LP64, name: "LP64", cc: []string{"gcc"}, triplet: "x86_64-linux-gnu",
		machine: elf.EM_X86_64, class: elf.ELFCLASS64, pkg: "gcc"},
	{abi: I386, name: "I386", cc: []string{"gcc", "-m32"}, triplet: "i386-linux-gnu",
		machine: elf.EM_386, class: elf.ELFCLASS32, sizes: ilp32(12), pkg: "libc6-dev-i386"},
	{abi: ARM32, name: "ARM32", cc: []string{"arm-linux-gnueabihf-gcc"}, triplet: "arm-linux-gnueabihf",
		machine: elf.EM_ARM, class: elf.ELFCLASS32, sizes: ilp32(8), pkg: "gcc-arm-linux-gnueabihf"},
}

// usable says whether the compiler is installed and builds for its ABI
// (gcc -m32 needs libc6-dev-i386's 32-bit libc headers).
func (c abiCompiler) usable(t *testing.T) error {
	t.Helper()
	if _, err := exec.LookPath(c.cc[0]); err != nil {
		return err
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "probe.c")
	if err := os.WriteFile(src, []byte("#include <stddef.h>\n#include <stdint.h>\nint probe;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(c.cc[0], append(c.cc[1:], "-c", "-o", filepath.Join(dir, "probe.o"), src)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}

// compileOffsets compiles offsets.c against hs for c's ABI and returns
// what the object file's pymem_names and pymem_values hold.
func compileOffsets(t *testing.T, c abiCompiler, hs headerSet) map[string]int64 {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("testdata", "offsets", "offsets.c"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	args := append([]string{}, c.cc[1:]...)
	args = append(args, "-DPy_BUILD_CORE", "-I"+hs.inc, "-I"+filepath.Join(hs.inc, "internal"))
	if c.sizes != nil {
		args = append(args, pyconfig32(t, c, hs, dir)...)
	}
	obj := filepath.Join(dir, "offsets.o")
	args = append(args, "-c", "-o", obj, src)
	if out, err := exec.Command(c.cc[0], args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", c.cc[0], strings.Join(args, " "), err, out)
	}
	return readOffsets(t, c, obj)
}

// pyconfig32 returns the flags that give hs's headers a pyconfig.h fit for
// a 32-bit ABI: Debian's own of that arch if installed (libpython3.X-dev:arch),
// else the set's amd64 one with c.sizes put in place of its SIZEOF_ values.
func pyconfig32(t *testing.T, c abiCompiler, hs headerSet, dir string) []string {
	t.Helper()
	var flags []string
	if c.abi == I386 {
		// gcc -m32 finds no <asm/*.h>: gcc-multilib's /usr/include/asm link
		// to them is not there (Debian 12 will not install gcc-multilib
		// beside a cross gcc). x86's are one set for i386 and amd64,
		// selected by __i386__, so link them here.
		asm := filepath.Join(dir, "asm32")
		if err := os.MkdirAll(asm, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/usr/include/x86_64-linux-gnu/asm", filepath.Join(asm, "asm")); err != nil {
			t.Fatal(err)
		}
		flags = append(flags, "-idirafter", asm)
	}
	sub := fmt.Sprintf("python3.%d", hs.minor)
	native := filepath.Join(hs.inc, "pyconfig.h")
	if hs.debian {
		if _, err := os.Stat(filepath.Join(multiarchInclude, c.triplet, sub, "pyconfig.h")); err == nil {
			return append(flags, "-I"+multiarchInclude) // Debian's pyconfig.h of that arch
		}
		native = filepath.Join("/usr/include", "x86_64-linux-gnu", sub, "pyconfig.h")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#include %q\n", native)
	keys := make([]string, 0, len(c.sizes))
	for k := range c.sizes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "#undef %s\n#define %s %d\n", k, k, c.sizes[k])
	}
	cfg := filepath.Join(dir, c.triplet, sub, "pyconfig.h")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if hs.debian {
		// Debian's pyconfig.h includes <triplet/python3.X/pyconfig.h>.
		return append(flags, "-I"+dir)
	}
	// pyenv's Python.h includes "pyconfig.h" from its own dir first;
	// including ours before it makes that one a no-op (include guard).
	return append(flags, "-include", cfg)
}

// readOffsets reads pymem_names and pymem_values from an object file.
func readOffsets(t *testing.T, c abiCompiler, obj string) map[string]int64 {
	t.Helper()
	f := openELF(t, obj)
	if f.Machine != c.machine || f.Class != c.class {
		t.Fatalf("%s: machine %v class %v, want %v %v", obj, f.Machine, f.Class, c.machine, c.class)
	}
	names := objSymbol(t, f, "pymem_names")
	values := objSymbol(t, f, "pymem_values")
	list := strings.Split(strings.TrimSuffix(string(names), "\x00\x00"), "\x00")
	if len(values) != 8*len(list) {
		t.Fatalf("%s: %d names, %d bytes of values", obj, len(list), len(values))
	}
	got := make(map[string]int64, len(list))
	for i, n := range list {
		got[n] = int64(f.ByteOrder.Uint64(values[8*i:]))
	}
	return got
}

// openELF opens an ELF file for the test's length.
func openELF(t *testing.T, path string) *elf.File {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// objSymbol returns the bytes of a data symbol of an object or shared file.
func objSymbol(t *testing.T, f *elf.File, name string) []byte {
	t.Helper()
	syms, _ := f.Symbols()
	dyn, _ := f.DynamicSymbols()
	for _, s := range append(syms, dyn...) {
		if s.Name != name || s.Section == elf.SHN_UNDEF || int(s.Section) >= len(f.Sections) {
			continue
		}
		sec := f.Sections[s.Section]
		data, err := sec.Data()
		if err != nil {
			t.Fatalf("%s: %v", sec.Name, err)
		}
		off := s.Value
		if f.Type != elf.ET_REL {
			off -= sec.Addr
		}
		if off+s.Size > uint64(len(data)) {
			t.Fatalf("symbol %s: %d+%d outside %s (%d bytes)", name, off, s.Size, sec.Name, len(data))
		}
		return data[off : off+s.Size]
	}
	t.Fatalf("no symbol %s", name)
	return nil
}
