package pymem

// The line of an instruction, as CPython's PyCode_Addr2Line gives it for
// faulthandler: -1 where the table has none.

// lnotabLine is 3.9's PyCode_Addr2Line (Objects/codeobject.c 3.9): addr
// in bytes (f_lasti), pairs of (address delta, signed line delta).
func lnotabLine(tab []byte, first int, addr int) int {
	line, a := first, 0
	for i := 0; i+1 < len(tab); i += 2 {
		a += int(tab[i])
		if a > addr {
			break
		}
		line += int(int8(tab[i+1]))
	}
	return line
}

// linetable310Line is 3.10's PyCode_Addr2Line (Objects/codeobject.c
// 3.10: _PyCode_CheckLineNumber over PyLineTable_NextAddressRange): addr
// in bytes (f_lasti*2), pairs of (address delta, signed line delta), a
// line delta of -128 for "no line".
func linetable310Line(tab []byte, first int, addr int) int {
	if addr < 0 {
		return first
	}
	start, end, computed, line := 0, 0, first, -1
	for i := 0; i+1 < len(tab); i += 2 {
		start = end
		end += int(tab[i])
		if d := int8(tab[i+1]); d == -128 {
			line = -1
		} else {
			computed += int(d)
			line = computed
		}
		if start <= addr && addr < end {
			return line
		}
	}
	return -1
}

// locationsLine is 3.11's and later PyCode_Addr2Line over the location
// table of PEP 626/657 (Objects/locations.md, Objects/codeobject.c): addr
// in code units. Each entry starts with a byte whose top bit is set:
// code = bits 3-6, length = bits 0-2 + 1 code units; code 15: no
// location; 14: long form (line delta as a signed varint, then end line,
// column and end column as varints); 13: no column (signed varint line
// delta); 10-12: one line, delta code-10, two column bytes; 0-9: short
// form, same line, one column byte.
func locationsLine(tab []byte, first int, addr int) int {
	if addr < 0 {
		return first
	}
	i, start, line := 0, 0, first
	for i < len(tab) {
		b := tab[i]
		code, n := int(b>>3&15), int(b&7)+1
		switch {
		case code == 14, code == 13:
			d, _ := svarint(tab[i+1:])
			line += d
		case code >= 10 && code <= 12:
			line += code - 10
		}
		if start <= addr && addr < start+n {
			if code == 15 {
				return -1
			}
			return line
		}
		start += n
		// The next entry starts at the next byte with its top bit set, as
		// CPython's advance() finds it.
		for i++; i < len(tab) && tab[i]&0x80 == 0; i++ {
		}
	}
	return -1
}

// varint reads an unsigned varint of 6-bit chunks, bit 6 for "more"; it
// returns the value and the bytes it took (at most 6).
func varint(b []byte) (int, int) {
	v, shift := 0, 0
	for i := 0; i < len(b) && i < 6; i++ {
		v |= int(b[i]&63) << shift
		shift += 6
		if b[i]&64 == 0 {
			return v, i + 1
		}
	}
	return v, min(len(b), 6)
}

// svarint reads a signed varint: the lowest bit is the sign.
func svarint(b []byte) (int, int) {
	v, n := varint(b)
	if v&1 != 0 {
		return -(v >> 1), n
	}
	return v >> 1, n
}
