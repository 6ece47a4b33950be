package pymem

// layout311 is CPython 3.11's Layout for abi: the offsets as 3.11's headers
// place them (each line names the header and field; testdata/offsets and
// TestLayoutsMatchHeaders check them with a compiler).
// Debian 12's 3.11.2 headers give the same offsets as 3.11.7's.
func layout311(abi ABI) Layout {
	o := byABI(abi)
	return Layout{
		Minor: 11,
		Lines: Locations,

		// Include/internal/pycore_runtime.h 3.11: _PyRuntimeState.interpreters.head
		RuntimeInterpretersHead: o(40, 28, 28),
		// Include/internal/pycore_interp.h 3.11: PyInterpreterState (struct _is).threads.head
		InterpThreadsHead: o(16, 12, 16),
		// Include/cpython/pystate.h 3.11: PyThreadState (struct _ts).next
		TstateNext: o(8, 4, 4),
		// Include/cpython/pystate.h 3.11: PyThreadState.thread_id
		TstateThreadID: o(152, 88, 88),
		// Include/cpython/pystate.h 3.11: PyThreadState.native_thread_id
		TstateNativeThreadID: o(160, 92, 92),
		TstateFrame:          -1, // behind cframe in 3.11 and 3.12
		// Include/cpython/pystate.h 3.11: PyThreadState.cframe
		TstateCFrame: o(56, 40, 40),
		// Include/cpython/pystate.h 3.11: _PyCFrame.current_frame
		CFrameCurrentFrame: o(8, 4, 4),
		// Include/internal/pycore_frame.h 3.11: _PyInterpreterFrame.previous
		FramePrevious: o(48, 24, 24),
		// Include/internal/pycore_frame.h 3.11: _PyInterpreterFrame.f_code
		FrameCode:  o(32, 16, 16),
		FrameLasti: -1, // prev_instr/instr_ptr instead
		// Include/internal/pycore_frame.h 3.11: _PyInterpreterFrame.prev_instr
		FrameInstr: o(56, 28, 28),
		// Include/internal/pycore_frame.h 3.11: _PyInterpreterFrame.owner
		FrameOwner:       o(69, 37, 37),
		FrameOwnerCStack: -1, // enum _frameowner has no FRAME_OWNED_BY_CSTACK in 3.11
		// Include/cpython/code.h 3.11: PyCodeObject.co_filename
		CodeFilename: o(112, 80, 80),
		// Include/cpython/code.h 3.11: PyCodeObject.co_name
		CodeName: o(120, 84, 84),
		// Include/cpython/code.h 3.11: PyCodeObject.co_firstlineno
		CodeFirstLineno: o(72, 48, 48),
		// Include/cpython/code.h 3.11: PyCodeObject.co_linetable
		CodeLineTable: o(136, 92, 92),
		// Include/cpython/code.h 3.11: PyCodeObject.co_code_adaptive
		CodeAdaptive: o(184, 116, 116),
		// Include/cpython/unicodeobject.h 3.11: PyASCIIObject.length
		UnicodeLength: o(16, 8, 8),
		// Include/cpython/unicodeobject.h 3.11: PyASCIIObject.state
		UnicodeState: o(32, 16, 16),
		// Include/cpython/unicodeobject.h 3.11: sizeof(PyASCIIObject)
		UnicodeASCIIData: o(48, 24, 24),
		// Include/cpython/unicodeobject.h 3.11: sizeof(PyCompactUnicodeObject)
		UnicodeCompactData: o(72, 36, 36),
		// Include/cpython/bytesobject.h 3.11: PyBytesObject.ob_base.ob_size (PyVarObject, Include/object.h)
		BytesSize: o(16, 8, 8),
		// Include/cpython/bytesobject.h 3.11: PyBytesObject.ob_sval
		BytesData: o(32, 16, 16),
	}
}
