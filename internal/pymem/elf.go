package pymem

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// ErrNotPython says the process maps no CPython interpreter.
var ErrNotPython = errors.New("not a CPython process: no python executable or libpython defines _PyRuntime")

// interpreter is where a process's CPython lives: the file that defines
// _PyRuntime, where _PyRuntime is in the process, and what the file says
// of its version and ABI.
type interpreter struct {
	File    string // the path as the process maps it
	Runtime uint64 // _PyRuntime's address in the process
	// Minor is the minor version (3.Minor); Version the whole one
	// ("3.11.2"), or "3.Minor" where the file does not say more.
	Minor   int
	Version string
	ABI     ABI
	Order   binary.ByteOrder
	PtrSize int
}

// maxELF bounds the size of an ELF file read for its symbols.
const maxELF = 512 << 20

var pythonName = regexp.MustCompile(`^(?:lib)?python3\.(\d{1,2})(t?)(?:d?m?u?)?(?:\.so(?:\.[0-9.]+)?)?$`)

// locate finds the interpreter of pid: its executable when that defines
// _PyRuntime (Debian's /usr/bin/python3.X), else a libpython3.X mapped
// in it (pyenv's, a shared build). root is where the process's files are
// seen ("/proc/PID/root"), exe its executable ("/proc/PID/exe").
func locate(maps []mapping, root, exe string) (interpreter, error) {
	exePath := ""
	var candidates []string
	seen := map[string]bool{}
	if target, err := os.Readlink(exe); err == nil {
		exePath = strings.TrimSuffix(target, " (deleted)")
	}
	if exePath != "" {
		candidates = append(candidates, exePath)
		seen[exePath] = true
	}
	for _, m := range maps {
		// A libpython, or the python executable itself where the process
		// runs it through a dynamic loader (/proc/PID/exe is then ld.so).
		if strings.HasPrefix(m.Path, "/") && !seen[m.Path] && pythonName.MatchString(path.Base(m.Path)) {
			seen[m.Path] = true
			candidates = append(candidates, m.Path)
		}
	}
	var errs []error
	for _, c := range candidates {
		open := root + c
		if c == exePath {
			open = exe
		}
		in, err := fromFile(maps, c, open)
		if err == nil {
			return in, nil
		}
		if !errors.Is(err, errNoRuntime) {
			errs = append(errs, fmt.Errorf("%s: %w", c, err))
		}
	}
	if len(errs) > 0 {
		return interpreter{}, fmt.Errorf("%w (%w)", ErrNotPython, errors.Join(errs...))
	}
	return interpreter{}, ErrNotPython
}

var errNoRuntime = errors.New("no _PyRuntime defined")

// fromFile reads the ELF file at open (the process maps it as name) for
// _PyRuntime and the interpreter's version.
func fromFile(maps []mapping, name, open string) (in interpreter, err error) {
	defer func() {
		// debug/elf reads a file the process chose; a malformed one must
		// end this look-up, not the daemon.
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed ELF file: %v", p)
		}
	}()
	// Opened without blocking, then checked as opened: a FIFO put where
	// the process maps its library must not hang the read.
	file, err := safefile.Open(open)
	if errors.Is(err, safefile.ErrNotRegular) {
		return in, errNoRuntime
	}
	if err != nil {
		return in, err
	}
	defer file.Close()
	if st, err := file.Stat(); err != nil || st.Size() > maxELF {
		return in, errNoRuntime
	}
	f, err := elf.NewFile(file)
	if err != nil {
		return in, errNoRuntime
	}
	sym, ok := symbol(f, "_PyRuntime")
	if !ok {
		return in, errNoRuntime
	}
	in.File = name
	in.Order = f.ByteOrder
	in.PtrSize = 8
	if f.Class == elf.ELFCLASS32 {
		in.PtrSize = 4
	}
	in.ABI = abiOf(f)
	bias, err := loadBias(f, maps, name)
	if err != nil {
		return in, err
	}
	in.Runtime = sym.Value + bias
	in.Minor, in.Version = version(f, path.Base(name))
	if in.Minor == 0 {
		return in, fmt.Errorf("cannot tell which CPython %s is", name)
	}
	return in, nil
}

// symbol finds a defined symbol, in .dynsym first, then .symtab. It reads
// each table entry by entry against the table's strings, read once:
// debug/elf's Symbols would make every one of a libpython's thousands of
// symbols a string and a struct (700 KB for Debian's python3.11, each
// minute the desk checks that its stacks can be read).
func symbol(f *elf.File, name string) (elf.Symbol, bool) {
	for _, typ := range []elf.SectionType{elf.SHT_DYNSYM, elf.SHT_SYMTAB} {
		if s, ok := symbolIn(f, typ, name); ok {
			return s, true
		}
	}
	return elf.Symbol{}, false
}

// maxStrtab bounds a symbol table's strings read for a look-up.
const maxStrtab = 16 << 20

// symbolIn looks name up in f's first symbol table of type typ.
func symbolIn(f *elf.File, typ elf.SectionType, name string) (elf.Symbol, bool) {
	sec := f.SectionByType(typ)
	if sec == nil || int(sec.Link) >= len(f.Sections) {
		return elf.Symbol{}, false
	}
	strs := f.Sections[sec.Link]
	if strs.Type != elf.SHT_STRTAB || strs.Size > maxStrtab {
		return elf.Symbol{}, false
	}
	names, err := strs.Data()
	if err != nil {
		return elf.Symbol{}, false
	}
	size := 24 // Elf64_Sym: name, info, other, shndx, value, size
	if f.Class == elf.ELFCLASS32 {
		size = 16 // Elf32_Sym: name, value, size, info, other, shndx
	}
	r := bufio.NewReader(sec.Open())
	e := make([]byte, size)
	for n := sec.Size / uint64(size); n > 0; n-- {
		if _, err := io.ReadFull(r, e); err != nil {
			return elf.Symbol{}, false
		}
		off := f.ByteOrder.Uint32(e)
		if uint64(off)+uint64(len(name)) >= uint64(len(names)) || string(names[off:int(off)+len(name)]) != name || names[int(off)+len(name)] != 0 {
			continue
		}
		var s elf.Symbol
		if size == 24 {
			s = elf.Symbol{Info: e[4], Other: e[5], Section: elf.SectionIndex(f.ByteOrder.Uint16(e[6:])),
				Value: f.ByteOrder.Uint64(e[8:]), Size: f.ByteOrder.Uint64(e[16:])}
		} else {
			s = elf.Symbol{Value: uint64(f.ByteOrder.Uint32(e[4:])), Size: uint64(f.ByteOrder.Uint32(e[8:])),
				Info: e[12], Other: e[13], Section: elf.SectionIndex(f.ByteOrder.Uint16(e[14:]))}
		}
		// An extension module imports _PyRuntime: SHN_UNDEF.
		if s.Section != elf.SHN_UNDEF && s.Value != 0 {
			s.Name = name
			return s, true
		}
	}
	return elf.Symbol{}, false
}

// abiOf is the layout family of f's machine.
func abiOf(f *elf.File) ABI {
	switch {
	case f.Class == elf.ELFCLASS64:
		return LP64
	case f.Machine == elf.EM_386:
		return I386
	}
	return ARM32 // armhf, armel, mips o32: 8-byte fields 8-aligned
}

// loadBias is how far the process mapped f from its link-time addresses:
// 0 for an executable linked at a fixed address, else where the file's
// first page is mapped less the first segment's page-aligned address.
func loadBias(f *elf.File, maps []mapping, name string) (uint64, error) {
	if f.Type == elf.ET_EXEC {
		return 0, nil
	}
	var first *elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			first = p
			break
		}
	}
	if first == nil {
		return 0, errors.New("no loadable segment")
	}
	var base uint64
	found := false
	for _, m := range maps {
		if m.Path == name && m.Offset == 0 && (!found || m.Start < base) {
			base, found = m.Start, true
		}
	}
	if !found {
		return 0, fmt.Errorf("%s is not mapped from its start", name)
	}
	return base - (first.Vaddr-first.Off)&^0xfff, nil
}

var versionName = regexp.MustCompile(`python3\.(\d{1,2})`)

// version is f's CPython version: Py_Version (3.11 on) where the file
// defines it, else the version string in its read-only data, else the
// minor version in its name.
func version(f *elf.File, base string) (int, string) {
	if s, ok := symbol(f, "Py_Version"); ok && (s.Size == 4 || s.Size == 8) {
		if b, err := symbolData(f, s); err == nil {
			v := f.ByteOrder.Uint32(b)
			if s.Size == 8 && f.ByteOrder == binary.BigEndian {
				v = uint32(f.ByteOrder.Uint64(b))
			}
			if v>>24 == 3 {
				return int(v >> 16 & 0xff), hexVersion(uint64(v))
			}
		}
	}
	m := versionName.FindStringSubmatch(base)
	if m == nil {
		return 0, ""
	}
	minor, _ := strconv.Atoi(m[1])
	if v := rodataVersion(f, minor); v != "" {
		return minor, v
	}
	return minor, "3." + m[1]
}

// hexVersion is "3.11.2" for PY_VERSION_HEX 0x030b02f0 (a release; an
// alpha, beta or candidate gets its a1/b2/rc1).
func hexVersion(v uint64) string {
	s := fmt.Sprintf("%d.%d.%d", v>>24&0xff, v>>16&0xff, v>>8&0xff)
	switch lvl, n := v>>4&0xf, v&0xf; lvl {
	case 0xa:
		s += fmt.Sprintf("a%d", n)
	case 0xb:
		s += fmt.Sprintf("b%d", n)
	case 0xc:
		s += fmt.Sprintf("rc%d", n)
	}
	return s
}

// symbolData is the bytes of a symbol in the file.
func symbolData(f *elf.File, s elf.Symbol) ([]byte, error) {
	if int(s.Section) >= len(f.Sections) {
		return nil, errors.New("symbol outside the sections")
	}
	sec := f.Sections[s.Section]
	if sec.Type == elf.SHT_NOBITS || s.Value < sec.Addr || s.Value+s.Size > sec.Addr+sec.Size {
		return nil, errors.New("symbol has no data")
	}
	b := make([]byte, s.Size)
	if _, err := sec.ReadAt(b, int64(s.Value-sec.Addr)); err != nil {
		return nil, err
	}
	return b, nil
}

// maxRodata bounds the read-only data searched for a version string.
const maxRodata = 16 << 20

// rodataVersion finds PY_VERSION ("3.10.13") in f's .rodata: a string of
// its own, NUL before and after.
func rodataVersion(f *elf.File, minor int) string {
	sec := f.Section(".rodata")
	if sec == nil || sec.Type == elf.SHT_NOBITS || sec.Size > maxRodata {
		return ""
	}
	b, err := sec.Data()
	if err != nil {
		return ""
	}
	return findVersion(b, minor)
}

// versionTail is what follows "3.M." in a version string: the micro
// version, a pre-release, a '+', and the NUL that ends it.
var versionTail = regexp.MustCompile(`^\d{1,3}(?:(?:a|b|rc)\d{1,2})?\+?\x00`)

// findVersion is the first "3.minor.micro" string in b: its NUL-ended
// text after a NUL, or after '-' or '/' where the linker merged it into
// the tail of a longer string ("Python-3.10.13"). It looks for "3.M."
// with bytes.Index and matches only the few bytes after each: a regexp
// over the whole section took 25-40 ms per file on amd64 (pyenv's 3.9 and
// 3.10 libpython, 650 KB of .rodata), 0.25-0.35 s under -race and more
// than Read's Timeout on a loaded machine.
func findVersion(b []byte, minor int) string {
	prefix := []byte("3." + strconv.Itoa(minor) + ".")
	for i := 0; i < len(b); {
		j := bytes.Index(b[i:], prefix)
		if j < 0 {
			return ""
		}
		at := i + j
		i = at + 1
		if at == 0 || (b[at-1] != 0 && b[at-1] != '-' && b[at-1] != '/') {
			continue
		}
		rest := b[at+len(prefix):]
		if m := versionTail.Find(rest[:min(len(rest), 16)]); m != nil {
			return string(prefix) + string(m[:len(m)-1])
		}
	}
	return ""
}
