package stacks

import (
	"bufio"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// NativeFrame is one machine-code frame: where, never what it held.
type NativeFrame struct {
	// Module is the base name of the executable or library.
	Module string `json:"module,omitempty"`
	// Offset is the address's offset in Module's file ("0x8a2a6").
	Offset string `json:"offset,omitempty"`
	// Symbol is the function, as the tool named it ("" unknown).
	Symbol string `json:"symbol,omitempty"`
}

// NativeThread is one thread's native frames, innermost first.
type NativeThread struct {
	TID    int
	Frames []NativeFrame
}

// Mapping is one executable mapping of /proc/PID/maps, for turning an
// address into module and offset.
type Mapping struct {
	Start, End, FileOffset uint64
	Module                 string
}

// symbolName is what is kept of a tool's symbol: a C or C++ name, no
// arguments (gdb's "(...)" and anything after it are not part of it).
var symbolName = regexp.MustCompile(`^[A-Za-z_.$~][A-Za-z0-9_.$@:<>~,*&\[\]+-]{0,255}`)

// cleanSymbol keeps the name of a tool's symbol field, or "".
func cleanSymbol(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " ("); i >= 0 {
		s = s[:i]
	}
	if s == "??" || s == "n/a" {
		return ""
	}
	return symbolName.FindString(s)
}

// frame resolves addr in maps into a NativeFrame with symbol sym.
func frame(addr uint64, sym string, maps []Mapping) NativeFrame {
	f := NativeFrame{Symbol: cleanSymbol(sym)}
	for _, m := range maps {
		if addr >= m.Start && addr < m.End {
			f.Module = m.Module
			f.Offset = "0x" + strconv.FormatUint(addr-m.Start+m.FileOffset, 16)
			break
		}
	}
	return f
}

// threadsBuilder collects threads within the bounds.
type threadsBuilder struct {
	threads []NativeThread
	cur     *NativeThread
}

func (b *threadsBuilder) thread(tid int) {
	b.cur = nil
	if len(b.threads) < MaxThreads {
		b.threads = append(b.threads, NativeThread{TID: tid})
		b.cur = &b.threads[len(b.threads)-1]
	}
}

func (b *threadsBuilder) frame(f NativeFrame) {
	if b.cur != nil && len(b.cur.Frames) < MaxFrames && (f.Symbol != "" || f.Module != "") {
		b.cur.Frames = append(b.cur.Frames, f)
	}
}

// lines calls f for each line of out up to maxLine bytes (longer ones are
// skipped).
func lines(out []byte, f func(string)) {
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 0, 1024), maxLine)
	for sc.Scan() {
		f(sc.Text())
	}
}

// eu-stack -p PID (elfutils):
//
//	PID 3516 - process
//	TID 3516:
//	#0  0x00007f6b34e6e12b __GI___lll_lock_wait
//	#2  0x00005584326921b2 lock_ab
var (
	euThread = regexp.MustCompile(`^TID (\d{1,10}):\s*$`)
	euFrame  = regexp.MustCompile(`^#\d{1,4}\s+0x([0-9a-fA-F]{1,16})(?:\s+(.*))?$`)
)

// ParseEuStack reads eu-stack's output; maps give module and offset.
func ParseEuStack(out []byte, maps []Mapping) []NativeThread {
	var b threadsBuilder
	lines(out, func(l string) {
		if m := euThread.FindStringSubmatch(l); m != nil {
			tid, _ := strconv.Atoi(m[1])
			b.thread(tid)
		} else if m := euFrame.FindStringSubmatch(l); m != nil {
			addr, _ := strconv.ParseUint(m[1], 16, 64)
			b.frame(frame(addr, m[2], maps))
		}
	})
	return b.threads
}

// gdb -batch -ex "thread apply all bt", frame arguments off:
//
//	Thread 2 (Thread 0x7f6b34de46c0 (LWP 3518) "pagekitec"):
//	#0  futex_wait (private=..., expected=..., futex_word=...) at ../sysdeps/nptl/futex-internal.h:146
//	#4  0x00005584326921fa in lock_ba (secret=...) at deadlock.c:7
var (
	gdbThread   = regexp.MustCompile(`^Thread \d{1,6} \(.*\bLWP (\d{1,10})\b.*\):\s*$`)
	gdbFrame    = regexp.MustCompile(`^#\d{1,4}\s+(?:0x([0-9a-fA-F]{1,16}) in )?(\S.*)$`)
	gdbFromLine = regexp.MustCompile(` from (\S+)$`)
)

// ParseGDB reads gdb's backtraces; maps give module and offset where gdb
// printed an address (not for frame 0 or inlined frames: gdb's "from LIB"
// then names the module).
func ParseGDB(out []byte, maps []Mapping) []NativeThread {
	var b threadsBuilder
	lines(out, func(l string) {
		if m := gdbThread.FindStringSubmatch(l); m != nil {
			tid, _ := strconv.Atoi(m[1])
			b.thread(tid)
		} else if m := gdbFrame.FindStringSubmatch(l); m != nil {
			var f NativeFrame
			if m[1] != "" {
				addr, _ := strconv.ParseUint(m[1], 16, 64)
				f = frame(addr, m[2], maps)
			} else {
				f.Symbol = cleanSymbol(m[2])
			}
			if f.Module == "" {
				if lib := gdbFromLine.FindStringSubmatch(m[2]); lib != nil {
					f.Module = path.Base(lib[1])
				}
			}
			b.frame(f)
		}
	})
	return b.threads
}

// systemd-coredump's journal message (systemd's shared/elf-util.c):
//
//	Stack trace of thread 3516:
//	#0  0x00007f6b34e6e12b __lll_lock_wait (libc.so.6 + 0x8a12b)
//	#1  0x00007f2a3c5a1f1d n/a (n/a + 0x0)
var (
	cdThread = regexp.MustCompile(`^\s*Stack trace of thread (\d{1,10}):\s*$`)
	cdFrame  = regexp.MustCompile(`^\s*#\d{1,4}\s+0x[0-9a-fA-F]{1,16} (\S+) \((\S+) \+ (0x[0-9a-fA-F]{1,16})\)\s*$`)
)

// ParseCoredump reads the stack traces of systemd-coredump's message.
func ParseCoredump(out []byte) []NativeThread {
	var b threadsBuilder
	lines(out, func(l string) {
		if m := cdThread.FindStringSubmatch(l); m != nil {
			tid, _ := strconv.Atoi(m[1])
			b.thread(tid)
		} else if m := cdFrame.FindStringSubmatch(l); m != nil {
			f := NativeFrame{Symbol: cleanSymbol(m[1])}
			if m[2] != "n/a" {
				f.Module, f.Offset = clip(path.Base(m[2])), m[3]
			}
			b.frame(f)
		}
	})
	return b.threads
}

// ParseMaps reads the executable mappings of /proc/PID/maps.
func ParseMaps(out []byte) []Mapping {
	var maps []Mapping
	lines(out, func(l string) {
		// 7f6b34e0f000-7f6b34f64000 r-xp 00028000 fe:01 1234   /usr/lib/x86_64-linux-gnu/libc.so.6
		f := strings.Fields(l)
		if len(f) < 6 || len(f[1]) < 3 || f[1][2] != 'x' || len(maps) >= 4*MaxThreads {
			return
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		off, err3 := strconv.ParseUint(f[2], 16, 64)
		if !ok || err1 != nil || err2 != nil || err3 != nil {
			return
		}
		maps = append(maps, Mapping{Start: start, End: end, FileOffset: off, Module: clip(path.Base(strings.Join(f[5:], " ")))})
	})
	return maps
}
