package pymem

// layout313 is CPython 3.13's Layout for abi: the offsets as 3.13's headers
// place them (each line names the header and field; testdata/offsets and
// TestLayoutsMatchHeaders check them with a compiler).
//
// The walker reads most of these from the process's _Py_DebugOffsets;
// FrameOwnerCStack and UnicodeCompactData are not in 3.13's.
func layout313(abi ABI) Layout {
	o := byABI(abi)
	return Layout{
		Minor: 13,
		Lines: Locations,

		// Include/internal/pycore_runtime.h 3.13: _PyRuntimeState.interpreters.head
		RuntimeInterpretersHead: o(632, 616, 620),
		// Include/internal/pycore_interp.h 3.13: PyInterpreterState (struct _is).threads.head
		InterpThreadsHead: o(7344, 3700, 3704),
		// Include/cpython/pystate.h 3.13: PyThreadState (struct _ts).next
		TstateNext: o(8, 4, 4),
		// Include/cpython/pystate.h 3.13: PyThreadState.thread_id
		TstateThreadID: o(152, 92, 92),
		// Include/cpython/pystate.h 3.13: PyThreadState.native_thread_id
		TstateNativeThreadID: o(160, 96, 96),
		// Include/cpython/pystate.h 3.13: PyThreadState.current_frame
		TstateFrame:        o(72, 52, 52),
		TstateCFrame:       -1, // no _PyCFrame in 3.13
		CFrameCurrentFrame: -1, // no _PyCFrame in 3.13
		// Include/internal/pycore_frame.h 3.13: _PyInterpreterFrame.previous
		FramePrevious: o(8, 4, 4),
		// Include/internal/pycore_frame.h 3.13: _PyInterpreterFrame.f_executable
		FrameCode:  o(0, 0, 0),
		FrameLasti: -1, // prev_instr/instr_ptr instead
		// Include/internal/pycore_frame.h 3.13: _PyInterpreterFrame.instr_ptr
		FrameInstr: o(56, 28, 28),
		// Include/internal/pycore_frame.h 3.13: _PyInterpreterFrame.owner
		FrameOwner: o(70, 38, 38),
		// Include/internal/pycore_frame.h 3.13: enum _frameowner FRAME_OWNED_BY_CSTACK (a value, not an offset)
		FrameOwnerCStack: 3,
		// Include/cpython/code.h 3.13: PyCodeObject.co_filename
		CodeFilename: o(112, 80, 80),
		// Include/cpython/code.h 3.13: PyCodeObject.co_name
		CodeName: o(120, 84, 84),
		// Include/cpython/code.h 3.13: PyCodeObject.co_firstlineno
		CodeFirstLineno: o(68, 44, 44),
		// Include/cpython/code.h 3.13: PyCodeObject.co_linetable
		CodeLineTable: o(136, 92, 92),
		// Include/cpython/code.h 3.13: PyCodeObject.co_code_adaptive
		CodeAdaptive: o(200, 124, 124),
		// Include/cpython/unicodeobject.h 3.13: PyASCIIObject.length
		UnicodeLength: o(16, 8, 8),
		// Include/cpython/unicodeobject.h 3.13: PyASCIIObject.state
		UnicodeState: o(32, 16, 16),
		// Include/cpython/unicodeobject.h 3.13: sizeof(PyASCIIObject)
		UnicodeASCIIData: o(40, 20, 20),
		// Include/cpython/unicodeobject.h 3.13: sizeof(PyCompactUnicodeObject)
		UnicodeCompactData: o(56, 28, 28),
		// Include/cpython/bytesobject.h 3.13: PyBytesObject.ob_base.ob_size (PyVarObject, Include/object.h)
		BytesSize: o(16, 8, 8),
		// Include/cpython/bytesobject.h 3.13: PyBytesObject.ob_sval
		BytesData: o(32, 16, 16),
	}
}
