package pymem

// layout310 is CPython 3.10's Layout for abi: the offsets as 3.10's headers
// place them (each line names the header and field; testdata/offsets and
// TestLayoutsMatchHeaders check them with a compiler).
func layout310(abi ABI) Layout {
	o := byABI(abi)
	return Layout{
		Minor: 10,
		Lines: Linetable310,

		// Include/internal/pycore_runtime.h 3.10: _PyRuntimeState.interpreters.head
		RuntimeInterpretersHead: o(32, 24, 28),
		// Include/internal/pycore_interp.h 3.10: PyInterpreterState (struct _is).tstate_head
		InterpThreadsHead: o(8, 4, 4),
		// Include/cpython/pystate.h 3.10: PyThreadState (struct _ts).next
		TstateNext: o(8, 4, 4),
		// Include/cpython/pystate.h 3.10: PyThreadState.thread_id
		TstateThreadID:       o(176, 96, 96),
		TstateNativeThreadID: -1, // none before 3.11
		// Include/cpython/pystate.h 3.10: PyThreadState.frame
		TstateFrame:        o(24, 12, 12),
		TstateCFrame:       -1, // no _PyCFrame in 3.10
		CFrameCurrentFrame: -1, // no _PyCFrame in 3.10
		// Include/cpython/frameobject.h 3.10: PyFrameObject (struct _frame).f_back
		FramePrevious: o(24, 12, 12),
		// Include/cpython/frameobject.h 3.10: PyFrameObject.f_code
		FrameCode: o(32, 16, 16),
		// Include/cpython/frameobject.h 3.10: PyFrameObject.f_lasti
		FrameLasti:       o(96, 52, 52),
		FrameInstr:       -1, // f_lasti instead
		FrameOwner:       -1, // no owner in 3.10
		FrameOwnerCStack: -1, // no owner in 3.10
		// Include/cpython/code.h 3.10: PyCodeObject.co_filename
		CodeFilename: o(104, 64, 64),
		// Include/cpython/code.h 3.10: PyCodeObject.co_name
		CodeName: o(112, 68, 68),
		// Include/cpython/code.h 3.10: PyCodeObject.co_firstlineno
		CodeFirstLineno: o(40, 32, 32),
		// Include/cpython/code.h 3.10: PyCodeObject.co_linetable
		CodeLineTable: o(120, 72, 72),
		CodeAdaptive:  -1, // no co_code_adaptive in 3.10
		// Include/cpython/unicodeobject.h 3.10: PyASCIIObject.length
		UnicodeLength: o(16, 8, 8),
		// Include/cpython/unicodeobject.h 3.10: PyASCIIObject.state
		UnicodeState: o(32, 16, 16),
		// Include/cpython/unicodeobject.h 3.10: sizeof(PyASCIIObject)
		UnicodeASCIIData: o(48, 24, 24),
		// Include/cpython/unicodeobject.h 3.10: sizeof(PyCompactUnicodeObject)
		UnicodeCompactData: o(72, 36, 36),
		// Include/cpython/bytesobject.h 3.10: PyBytesObject.ob_base.ob_size (PyVarObject, Include/object.h)
		BytesSize: o(16, 8, 8),
		// Include/cpython/bytesobject.h 3.10: PyBytesObject.ob_sval
		BytesData: o(32, 16, 16),
	}
}
