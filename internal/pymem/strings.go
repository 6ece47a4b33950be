package pymem

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Bits of PyASCIIObject.state (Include/cpython/unicodeobject.h, 3.9 to
// 3.14: interned:2, kind:3, compact:1, ascii:1, ...), as GCC lays out a
// bit field on a little-endian machine; a big-endian one counts from the
// top bit.
const (
	stateKindShift    = 2
	stateCompactShift = 5
	stateASCIIShift   = 6
)

var errNotString = errors.New("not a compact str")

// str reads the str object at addr: at most maxString characters, the
// rest cut with "…".
func (w *walker) str(addr uint64) (string, error) {
	if addr == 0 {
		return "", fmt.Errorf("%w: NULL", errNotString)
	}
	l := &w.l
	h, err := w.r.blockAt(addr, span(w.r.ptrSize, l.UnicodeLength, l.UnicodeState))
	if err != nil {
		return "", err
	}
	n := h.ssize(l.UnicodeLength)
	state := uint32(h.i32(l.UnicodeState))
	if w.r.order.String() == "BigEndian" {
		state = reverseBits(state)
	}
	kind := int(state >> stateKindShift & 7)
	if n < 0 || h.errs > 0 || state>>stateCompactShift&1 == 0 || (kind != 1 && kind != 2 && kind != 4) {
		return "", fmt.Errorf("%w at %#x", errNotString, addr)
	}
	data := addr + uint64(l.UnicodeCompactData)
	if state>>stateASCIIShift&1 == 1 {
		data = addr + uint64(l.UnicodeASCIIData)
	}
	cut := n > maxString
	n = min(n, maxString)
	b, err := w.r.bytes(data, int(n)*kind)
	if err != nil {
		return "", err
	}
	var s strings.Builder
	for i := 0; i < len(b); i += kind {
		var c rune
		switch kind {
		case 1:
			c = rune(b[i])
		case 2:
			c = rune(w.r.order.Uint16(b[i:]))
		default:
			c = rune(w.r.order.Uint32(b[i:]))
		}
		if !utf8.ValidRune(c) {
			c = utf8.RuneError
		}
		s.WriteRune(c)
	}
	if cut {
		s.WriteString("…")
	}
	return s.String(), nil
}

// reverseBits mirrors a big-endian bit field so that its first field
// sits at bit 0, as on a little-endian machine.
func reverseBits(v uint32) uint32 {
	var r uint32
	for i := 0; i < 32; i++ {
		r = r<<1 | v&1
		v >>= 1
	}
	return r
}

// bytesObj reads the bytes object at addr, at most max bytes; ok false
// when it is longer.
func (w *walker) bytesObj(addr uint64, max int64) ([]byte, error) {
	if addr == 0 {
		return nil, errors.New("no bytes object: NULL")
	}
	l := &w.l
	h, err := w.r.blockAt(addr, span(w.r.ptrSize, l.BytesSize))
	if err != nil {
		return nil, err
	}
	n := h.ssize(l.BytesSize)
	if n < 0 || n > max {
		return nil, fmt.Errorf("bytes object of %d bytes at %#x: longer than %d", n, addr, max)
	}
	return w.r.bytes(addr+uint64(l.BytesData), int(n))
}
