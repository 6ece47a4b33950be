package pymem

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// memory is a process's address space: read fills p from addr on.
type memory interface {
	ReadAt(p []byte, addr int64) (int, error)
}

// openMem opens /proc/PID/mem, which needs the ptrace access a debugger
// has (root, or CAP_SYS_PTRACE for a process that is not dumpable).
func openMem(pid int) (*os.File, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
	if err != nil {
		return nil, fmt.Errorf("open the process's memory: %w", err)
	}
	return f, nil
}

// Errors that end a walk, wrapped with where they happened.
var (
	ErrUnmapped = errors.New("pointer outside the process's readable memory")
	ErrBudget   = errors.New("read budget spent")
	ErrDeadline = errors.New("read took too long")
)

// reader reads the target's memory the walker asks for, at the target's
// pointer size and byte order: every address is checked against the
// readable mappings first, and every read counts against a byte budget
// and a deadline.
type reader struct {
	mem      memory
	maps     []mapping
	order    binary.ByteOrder
	ptrSize  int
	budget   int
	deadline time.Time
	now      func() time.Time
	// read is the bytes read so far.
	read int
}

// bytes reads n bytes at addr.
func (r *reader) bytes(addr uint64, n int) ([]byte, error) {
	if n < 0 || n > r.budget-r.read {
		return nil, ErrBudget
	}
	if r.now().After(r.deadline) {
		return nil, ErrDeadline
	}
	m, ok := find(r.maps, addr)
	if !ok || !m.readable() || addr+uint64(n) > m.End || addr+uint64(n) < addr {
		return nil, fmt.Errorf("%w: %#x", ErrUnmapped, addr)
	}
	if addr > 1<<63-1 {
		return nil, fmt.Errorf("%w: %#x", ErrUnmapped, addr)
	}
	p := make([]byte, n)
	r.read += n
	if got, err := r.mem.ReadAt(p, int64(addr)); got != n {
		if err == nil {
			err = errors.New("short read")
		}
		return nil, fmt.Errorf("read %d bytes at %#x: %w", n, addr, err)
	}
	return p, nil
}

// block is a piece of the target's memory read at once, decoded by
// offset; offsets past its end read as errors, never as zeros.
type block struct {
	b    []byte
	at   uint64
	r    *reader
	errs int
}

// blockAt reads the n bytes of a structure at addr.
func (r *reader) blockAt(addr uint64, n int64) (*block, error) {
	b, err := r.bytes(addr, int(n))
	if err != nil {
		return nil, err
	}
	return &block{b: b, at: addr, r: r}, nil
}

// field returns the size bytes at off, or nil (and an error counted) when
// off lies outside the block or is -1.
func (b *block) field(off int64, size int) []byte {
	if off < 0 || off+int64(size) > int64(len(b.b)) {
		b.errs++
		return nil
	}
	return b.b[off : off+int64(size)]
}

// ptr is the pointer at off (0 when off is outside the block).
func (b *block) ptr(off int64) uint64 {
	p := b.field(off, b.r.ptrSize)
	switch {
	case p == nil:
		return 0
	case b.r.ptrSize == 4:
		return uint64(b.r.order.Uint32(p))
	}
	return b.r.order.Uint64(p)
}

// ssize is the Py_ssize_t at off.
func (b *block) ssize(off int64) int64 {
	p := b.field(off, b.r.ptrSize)
	switch {
	case p == nil:
		return -1
	case b.r.ptrSize == 4:
		return int64(int32(b.r.order.Uint32(p)))
	}
	return int64(b.r.order.Uint64(p))
}

// i32 is the int at off.
func (b *block) i32(off int64) int32 {
	p := b.field(off, 4)
	if p == nil {
		return 0
	}
	return int32(b.r.order.Uint32(p))
}

// u8 is the byte at off.
func (b *block) u8(off int64) uint8 {
	p := b.field(off, 1)
	if p == nil {
		return 0
	}
	return p[0]
}

// span is the size a block must have to hold every field at offs, each
// of size bytes; -1 offsets are left out.
func span(size int, offs ...int64) int64 {
	var n int64
	for _, o := range offs {
		if o >= 0 && o+int64(size) > n {
			n = o + int64(size)
		}
	}
	return n
}
