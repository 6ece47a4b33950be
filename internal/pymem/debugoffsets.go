package pymem

import (
	"errors"
	"fmt"
)

// debugCookie starts _PyRuntime from CPython 3.13 on: _Py_DebugOffsets,
// the offsets an out-of-process reader needs, written by the interpreter
// itself (Include/internal/pycore_runtime.h 3.13,
// Include/internal/pycore_debug_offsets.h 3.14).
const debugCookie = "xdebugpy"

// debugFields is where each value the walker needs sits inside
// _Py_DebugOffsets, for one minor version. Every field of the struct is a
// uint64 after the 8-byte cookie, on 32-bit builds too, so a position is
// the field's index in the struct times 8.
type debugFields struct {
	freeThreaded, interpretersHead, threadsHead                               int64
	tstateNext, tstateCurrentFrame, tstateThreadID, tstateNativeThreadID      int64
	framePrevious, frameExecutable, frameInstrPtr, frameOwner                 int64
	codeFilename, codeName, codeLineTable, codeFirstLineno, codeCodeAdaptive  int64
	bytesSize, bytesData, unicodeState, unicodeLength, unicodeASCIIObjectSize int64
}

// debugLayouts holds the struct's layout per minor version, counted from
// its field list in that version's header.
var debugLayouts = map[int]debugFields{
	// Include/internal/pycore_runtime.h 3.13.0: cookie[8], version,
	// free_threaded, runtime_state{size, finalizing, interpreters_head},
	// interpreter_state{size, id, next, threads_head, gc, imports_modules,
	// sysdict, builtins, ceval_gil, gil_runtime_state, ..._enabled,
	// ..._locked, ..._holder}, thread_state{size, prev, next, interp,
	// current_frame, thread_id, native_thread_id, datastack_chunk, status},
	// interpreter_frame{size, previous, executable, instr_ptr, localsplus,
	// owner}, code_object{size, filename, name, qualname, linetable,
	// firstlineno, argcount, localsplusnames, localspluskinds,
	// co_code_adaptive}, pyobject{2}, type_object{4}, tuple_object{3},
	// list_object{3}, dict_object{3}, float_object{2}, long_object{3},
	// bytes_object{size, ob_size, ob_sval}, unicode_object{size, state,
	// length, asciiobject_size}, gc{2}.
	13: {
		freeThreaded: 2 * 8, interpretersHead: 5 * 8, threadsHead: 9 * 8,
		tstateNext: 21 * 8, tstateCurrentFrame: 23 * 8, tstateThreadID: 24 * 8, tstateNativeThreadID: 25 * 8,
		framePrevious: 29 * 8, frameExecutable: 30 * 8, frameInstrPtr: 31 * 8, frameOwner: 33 * 8,
		codeFilename: 35 * 8, codeName: 36 * 8, codeLineTable: 38 * 8, codeFirstLineno: 39 * 8, codeCodeAdaptive: 43 * 8,
		bytesSize: 65 * 8, bytesData: 66 * 8, unicodeState: 68 * 8, unicodeLength: 69 * 8, unicodeASCIIObjectSize: 70 * 8,
	},
	// Include/internal/pycore_debug_offsets.h 3.14.10 (Debian's
	// libpython3.14-dev): as 3.13, with interpreter_state.threads_main,
	// .code_object_generation and .tlbc_generation after threads_head,
	// interpreter_frame.stackpointer and .tlbc_index after owner,
	// code_object.co_tlbc after co_code_adaptive, set_object{4} after
	// list_object, and gen_object, llist_node and debugger_support at the
	// end: 94 fields after the cookie.
	14: {
		freeThreaded: 16, interpretersHead: 40, threadsHead: 72,
		tstateNext: 192, tstateCurrentFrame: 208, tstateThreadID: 216, tstateNativeThreadID: 224,
		framePrevious: 256, frameExecutable: 264, frameInstrPtr: 272, frameOwner: 288,
		codeFilename: 320, codeName: 328, codeLineTable: 344, codeFirstLineno: 352, codeCodeAdaptive: 384,
		bytesSize: 600, bytesData: 608, unicodeState: 624, unicodeLength: 632, unicodeASCIIObjectSize: 640,
	},
}

// debugSpan is how much of _Py_DebugOffsets the walker reads.
const debugSpan = 128 * 8

// Errors of the debug offsets.
var (
	ErrFreeThreaded = errors.New("a free-threaded CPython build: its layout is not read")
	ErrVersion      = errors.New("a CPython version this build cannot read")
)

// fromDebugOffsets fills a layout from the _Py_DebugOffsets at the start
// of _PyRuntime, for the version it names; ok false when there is no
// cookie (before 3.13). The values are checked for sense: each offset
// must fall inside the size the same table gives for its struct.
func fromDebugOffsets(r *reader, runtime uint64, base Layout) (l Layout, hexver uint64, ok bool, err error) {
	head, err := r.bytes(runtime, 16)
	if err != nil {
		return l, 0, false, fmt.Errorf("read _PyRuntime: %w", err)
	}
	if string(head[:8]) != debugCookie {
		return l, 0, false, nil
	}
	hexver = r.order.Uint64(head[8:])
	minor := int(hexver >> 16 & 0xff)
	d, known := debugLayouts[minor]
	if hexver>>24 != 3 || !known {
		return l, hexver, true, fmt.Errorf("%w: CPython %s publishes debug offsets this build does not know how to read", ErrVersion, hexVersion(hexver))
	}
	b, err := r.blockAt(runtime, debugSpan)
	if err != nil {
		return l, hexver, true, fmt.Errorf("read _Py_DebugOffsets: %w", err)
	}
	u := func(off int64) int64 {
		p := b.field(off, 8)
		if p == nil {
			return -1
		}
		v := r.order.Uint64(p)
		if v > 1<<20 {
			return -1 // no structure of CPython's is a megabyte
		}
		return int64(v)
	}
	if u(d.freeThreaded) != 0 {
		return l, hexver, true, ErrFreeThreaded
	}
	l = base
	l.RuntimeInterpretersHead = u(d.interpretersHead)
	l.InterpThreadsHead = u(d.threadsHead)
	l.TstateNext = u(d.tstateNext)
	l.TstateFrame = u(d.tstateCurrentFrame)
	l.TstateCFrame, l.CFrameCurrentFrame = -1, -1
	l.TstateThreadID = u(d.tstateThreadID)
	l.TstateNativeThreadID = u(d.tstateNativeThreadID)
	l.FramePrevious = u(d.framePrevious)
	l.FrameCode = u(d.frameExecutable)
	l.FrameInstr = u(d.frameInstrPtr)
	l.FrameOwner = u(d.frameOwner)
	l.CodeFilename = u(d.codeFilename)
	l.CodeName = u(d.codeName)
	l.CodeLineTable = u(d.codeLineTable)
	l.CodeFirstLineno = u(d.codeFirstLineno)
	l.CodeAdaptive = u(d.codeCodeAdaptive)
	l.BytesSize = u(d.bytesSize)
	l.BytesData = u(d.bytesData)
	l.UnicodeState = u(d.unicodeState)
	l.UnicodeLength = u(d.unicodeLength)
	if a := u(d.unicodeASCIIObjectSize); a > 0 {
		// PyCompactUnicodeObject adds utf8_length and utf8 (3.12 on).
		l.UnicodeCompactData += a - l.UnicodeASCIIData
		l.UnicodeASCIIData = a
	}
	for _, v := range []int64{l.RuntimeInterpretersHead, l.InterpThreadsHead, l.TstateNext, l.TstateFrame, l.TstateThreadID,
		l.FramePrevious, l.FrameCode, l.FrameInstr, l.FrameOwner, l.CodeFilename, l.CodeName, l.CodeLineTable,
		l.CodeFirstLineno, l.CodeAdaptive, l.BytesSize, l.BytesData, l.UnicodeState, l.UnicodeLength} {
		if v < 0 {
			return l, hexver, true, fmt.Errorf("CPython %s's debug offsets make no sense", hexVersion(hexver))
		}
	}
	return l, hexver, true, nil
}
