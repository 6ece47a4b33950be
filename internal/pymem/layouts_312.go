package pymem

// layout312 is CPython 3.12's Layout for abi: the offsets as 3.12's headers
// place them (each line names the header and field; testdata/offsets and
// TestLayoutsMatchHeaders check them with a compiler).
func layout312(abi ABI) Layout {
	o := byABI(abi)
	return Layout{
		Minor: 12,
		Lines: Locations,

		// Include/internal/pycore_runtime.h 3.12: _PyRuntimeState.interpreters.head
		RuntimeInterpretersHead: o(40, 28, 28),
		// Include/internal/pycore_interp.h 3.12: PyInterpreterState (struct _is).threads.head
		InterpThreadsHead: o(72, 60, 64),
		// Include/cpython/pystate.h 3.12: PyThreadState (struct _ts).next
		TstateNext: o(8, 4, 4),
		// Include/cpython/pystate.h 3.12: PyThreadState.thread_id
		TstateThreadID: o(136, 80, 80),
		// Include/cpython/pystate.h 3.12: PyThreadState.native_thread_id
		TstateNativeThreadID: o(144, 84, 84),
		TstateFrame:          -1, // behind cframe in 3.11 and 3.12
		// Include/cpython/pystate.h 3.12: PyThreadState.cframe
		TstateCFrame: o(56, 40, 40),
		// Include/cpython/pystate.h 3.12: _PyCFrame.current_frame
		CFrameCurrentFrame: o(0, 0, 0),
		// Include/internal/pycore_frame.h 3.12: _PyInterpreterFrame.previous
		FramePrevious: o(8, 4, 4),
		// Include/internal/pycore_frame.h 3.12: _PyInterpreterFrame.f_code
		FrameCode:  o(0, 0, 0),
		FrameLasti: -1, // prev_instr/instr_ptr instead
		// Include/internal/pycore_frame.h 3.12: _PyInterpreterFrame.prev_instr
		FrameInstr: o(56, 28, 28),
		// Include/internal/pycore_frame.h 3.12: _PyInterpreterFrame.owner
		FrameOwner: o(70, 38, 38),
		// Include/internal/pycore_frame.h 3.12: enum _frameowner FRAME_OWNED_BY_CSTACK (a value, not an offset)
		FrameOwnerCStack: 3,
		// Include/cpython/code.h 3.12: PyCodeObject.co_filename
		CodeFilename: o(112, 80, 80),
		// Include/cpython/code.h 3.12: PyCodeObject.co_name
		CodeName: o(120, 84, 84),
		// Include/cpython/code.h 3.12: PyCodeObject.co_firstlineno
		CodeFirstLineno: o(68, 44, 44),
		// Include/cpython/code.h 3.12: PyCodeObject.co_linetable
		CodeLineTable: o(136, 92, 92),
		// Include/cpython/code.h 3.12: PyCodeObject.co_code_adaptive
		CodeAdaptive: o(192, 124, 124),
		// Include/cpython/unicodeobject.h 3.12: PyASCIIObject.length
		UnicodeLength: o(16, 8, 8),
		// Include/cpython/unicodeobject.h 3.12: PyASCIIObject.state
		UnicodeState: o(32, 16, 16),
		// Include/cpython/unicodeobject.h 3.12: sizeof(PyASCIIObject)
		UnicodeASCIIData: o(40, 20, 20),
		// Include/cpython/unicodeobject.h 3.12: sizeof(PyCompactUnicodeObject)
		UnicodeCompactData: o(56, 28, 28),
		// Include/cpython/bytesobject.h 3.12: PyBytesObject.ob_base.ob_size (PyVarObject, Include/object.h)
		BytesSize: o(16, 8, 8),
		// Include/cpython/bytesobject.h 3.12: PyBytesObject.ob_sval
		BytesData: o(32, 16, 16),
	}
}
