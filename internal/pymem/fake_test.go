package pymem

import (
	"encoding/binary"
	"time"
)

// fake is a made-up process image for the walker: one readable mapping
// of bytes at base, laid out as a CPython 3.11 on a 64-bit machine (the
// layouts' own table) would have it. The walker's tests and fuzzing build
// and break chains in it: no process could be made to hold a cyclic
// frame chain or a 1 GB filename on purpose.
type fake struct {
	base uint64
	mem  []byte
	l    Layout
	next uint64 // the next free offset
}

func newFake(size int) *fake {
	l, _ := layoutFor(11, LP64)
	return &fake{base: 0x7f0000000000, mem: make([]byte, size), l: l, next: 64}
}

// ReadAt reads the image: addresses outside it fail, as /proc/PID/mem
// does for unmapped ones.
func (f *fake) ReadAt(p []byte, addr int64) (int, error) {
	off := uint64(addr) - f.base
	if uint64(addr) < f.base || off+uint64(len(p)) > uint64(len(f.mem)) {
		return 0, ErrUnmapped
	}
	return copy(p, f.mem[off:]), nil
}

// reader reads the image through the walker's checks, with the given
// byte budget.
func (f *fake) reader(budget int) *reader {
	return &reader{
		mem:      f,
		maps:     []mapping{{Start: f.base, End: f.base + uint64(len(f.mem)), Perms: "rw-p"}},
		order:    binary.LittleEndian,
		ptrSize:  8,
		budget:   budget,
		deadline: time.Now().Add(Timeout),
		now:      time.Now,
	}
}

// alloc reserves n bytes (8-aligned) and returns their address.
func (f *fake) alloc(n int) uint64 {
	a := f.base + f.next
	f.next += uint64(n+7) &^ 7
	return a
}

func (f *fake) put64(addr uint64, off int64, v uint64) {
	binary.LittleEndian.PutUint64(f.mem[addr-f.base+uint64(off):], v)
}

func (f *fake) put32(addr uint64, off int64, v uint32) {
	binary.LittleEndian.PutUint32(f.mem[addr-f.base+uint64(off):], v)
}

// str makes a compact ASCII str of s, whose length field says n.
func (f *fake) str(s string, n int64) uint64 {
	a := f.alloc(int(f.l.UnicodeASCIIData) + len(s) + 1)
	f.put64(a, f.l.UnicodeLength, uint64(n))
	f.put32(a, f.l.UnicodeState, 1<<stateKindShift|1<<stateCompactShift|1<<stateASCIIShift)
	copy(f.mem[a-f.base+uint64(f.l.UnicodeASCIIData):], s)
	return a
}

// code makes a code object named name in file, at line first, with a
// location table that puts every instruction on first+1.
func (f *fake) code(file, name string, first int) uint64 {
	table := f.alloc(int(f.l.BytesData) + 2)
	f.put64(table, f.l.BytesSize, 2)
	// One entry: code 13 (no column), 8 units, line delta +1 (svarint 2).
	f.mem[table-f.base+uint64(f.l.BytesData)] = 0x80 | 13<<3 | 7
	f.mem[table-f.base+uint64(f.l.BytesData)+1] = 2
	c := f.alloc(int(f.l.CodeAdaptive) + 16)
	f.put64(c, f.l.CodeFilename, f.str(file, int64(len(file))))
	f.put64(c, f.l.CodeName, f.str(name, int64(len(name))))
	f.put32(c, f.l.CodeFirstLineno, uint32(first))
	f.put64(c, f.l.CodeLineTable, table)
	return c
}

// frame makes an interpreter frame running code, before prev.
func (f *fake) frame(code, prev uint64) uint64 {
	fr := f.alloc(int(f.l.FrameOwner) + 8)
	f.put64(fr, f.l.FrameCode, code)
	f.put64(fr, f.l.FramePrevious, prev)
	f.put64(fr, f.l.FrameInstr, code+uint64(f.l.CodeAdaptive)+4)
	return fr
}

// thread makes a thread state whose innermost frame is frame, before next.
func (f *fake) thread(id uint64, frame, next uint64) uint64 {
	cf := f.alloc(int(f.l.CFrameCurrentFrame) + 8)
	f.put64(cf, f.l.CFrameCurrentFrame, frame)
	ts := f.alloc(int(f.l.TstateNativeThreadID) + 8)
	f.put64(ts, f.l.TstateNext, next)
	f.put64(ts, f.l.TstateThreadID, id)
	f.put64(ts, f.l.TstateNativeThreadID, id&0xffff)
	f.put64(ts, f.l.TstateCFrame, cf)
	return ts
}

// runtime makes _PyRuntime with one interpreter whose first thread state
// is head.
func (f *fake) runtime(head uint64) uint64 {
	interp := f.alloc(int(f.l.InterpThreadsHead) + 8)
	f.put64(interp, f.l.InterpThreadsHead, head)
	rt := f.alloc(int(f.l.RuntimeInterpretersHead) + 8)
	f.put64(rt, f.l.RuntimeInterpretersHead, interp)
	return rt
}

// walk walks the image from rt within budget bytes.
func (f *fake) walk(rt uint64, budget int) ([]rawThread, string, error, *reader) {
	r := f.reader(budget)
	w := &walker{r: r, l: f.l, codes: map[uint64]*codeObject{}}
	ts, note, err := w.threads(rt)
	return ts, note, err, r
}
