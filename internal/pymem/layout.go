package pymem

// Layout is where the walker finds what names a frame, for one CPython
// minor version and one ABI: byte offsets into CPython's structures, each
// taken from that version's headers (the tables in layouts_*.go name the
// header and field of every offset) or, from 3.13 on, read from the
// process's own _Py_DebugOffsets (debugoffsets.go). -1 marks a field the
// version does not have.
type Layout struct {
	// Minor is the minor version (9 for 3.9); Lines says how a code
	// object's line table is read, and so whether a frame gives its
	// position as f_lasti (PyFrameObject, 3.9/3.10) or as an instruction
	// pointer (_PyInterpreterFrame, 3.11 on).
	Minor int
	Lines LineFormat

	// _PyRuntimeState: runtime.interpreters.head.
	RuntimeInterpretersHead int64

	// PyInterpreterState: the head of its thread states.
	InterpThreadsHead int64

	// PyThreadState.
	TstateNext     int64
	TstateThreadID int64 // thread_id: pthread_self(), as faulthandler prints it
	// TstateNativeThreadID is native_thread_id (3.11 on); -1 before, where
	// the TID is found in glibc's struct pthread that thread_id points to.
	TstateNativeThreadID int64
	// TstateFrame is the innermost frame: 3.9/3.10 frame (PyFrameObject *),
	// 3.13 current_frame; -1 where it sits behind cframe.
	TstateFrame int64
	// TstateCFrame is 3.11/3.12's cframe (_PyCFrame *), and
	// CFrameCurrentFrame the offset of current_frame in it; -1 elsewhere.
	TstateCFrame       int64
	CFrameCurrentFrame int64

	// The frame: PyFrameObject (3.9/3.10) or _PyInterpreterFrame (3.11 on).
	FramePrevious int64 // f_back / previous
	FrameCode     int64 // f_code / f_executable
	// FrameLasti is 3.9/3.10's f_lasti (an int); -1 after.
	FrameLasti int64
	// FrameInstr is 3.11/3.12's prev_instr or 3.13's instr_ptr; -1 before.
	FrameInstr int64
	// FrameOwner is the owner byte (3.11 on), FrameOwnerCStack the value
	// that marks a shim frame faulthandler skips (3.12 on; -1 where none).
	FrameOwner       int64
	FrameOwnerCStack int64
	// FrameExecutableTagged: f_executable is a _PyStackRef whose low bits
	// are tags (3.14 on).
	FrameExecutableTagged bool

	// PyCodeObject.
	CodeFilename    int64
	CodeName        int64
	CodeFirstLineno int64 // an int
	CodeLineTable   int64 // co_lnotab (3.9) or co_linetable (3.10 on): bytes
	// CodeAdaptive is the offset of co_code_adaptive, the code units
	// themselves (3.11 on); -1 before.
	CodeAdaptive int64

	// PyUnicodeObject: its length, its state bit field, and where a
	// compact string's characters start (ASCII: after PyASCIIObject;
	// otherwise after PyCompactUnicodeObject).
	UnicodeLength      int64
	UnicodeState       int64
	UnicodeASCIIData   int64
	UnicodeCompactData int64

	// PyBytesObject: ob_size and ob_sval.
	BytesSize int64
	BytesData int64
}

// LineFormat is how a code object maps an instruction to its line.
type LineFormat int

const (
	// Lnotab is 3.9's co_lnotab, addressed in bytes (f_lasti).
	Lnotab LineFormat = iota
	// Linetable310 is 3.10's co_linetable, addressed in bytes (f_lasti*2).
	Linetable310
	// Locations is the PEP 626/657 location table of 3.11 on, addressed
	// in code units.
	Locations
)
