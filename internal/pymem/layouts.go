package pymem

// ABI is the C data layout of the process whose CPython is read: the
// offsets of a version's structures differ by pointer size and by how
// 8-byte members are aligned.
type ABI int

const (
	// LP64 is 64-bit Linux: amd64, arm64 and the other 64-bit ABIs lay
	// these structures out alike (8-byte pointers, natural alignment).
	LP64 ABI = iota
	// I386 is i386 System V: 4-byte pointers, and 8-byte members
	// (int64_t, uint64_t, double) only 4-byte aligned inside structs.
	I386
	// ARM32 is 32-bit ARM EABI (armhf, armel) and mipsel o32: 4-byte
	// pointers, 8-byte members 8-byte aligned.
	ARM32
)

// String names the ABI as the tests and logs print it.
func (a ABI) String() string {
	switch a {
	case LP64:
		return "LP64"
	case I386:
		return "I386"
	case ARM32:
		return "ARM32"
	}
	return "ABI(?)"
}

// layoutFor returns CPython 3.minor's Layout for abi, and false for a
// version or ABI it has no table for (3.9 to 3.13 on LP64, I386, ARM32).
func layoutFor(minor int, abi ABI) (Layout, bool) {
	if abi != LP64 && abi != I386 && abi != ARM32 {
		return Layout{}, false
	}
	switch minor {
	case 9:
		return layout39(abi), true
	case 10:
		return layout310(abi), true
	case 11:
		return layout311(abi), true
	case 12:
		return layout312(abi), true
	case 13:
		return layout313(abi), true
	}
	return Layout{}, false
}

// byABI returns a function that picks, of one offset's values on LP64,
// I386 and ARM32, the one for abi (the tables list all three per field).
func byABI(abi ABI) func(lp64, i386, arm32 int64) int64 {
	return func(lp64, i386, arm32 int64) int64 {
		switch abi {
		case I386:
			return i386
		case ARM32:
			return arm32
		}
		return lp64
	}
}
