// Package pymem reads the Python stacks of a running CPython from its
// memory, as py-spy and austin do, without its cooperation: for each
// thread its frames, innermost first, as file, function (co_name) and
// line, the way faulthandler prints them.
//
// Read finds the interpreter through /proc/PID/maps and the ELF file of
// the python executable or libpython mapped there (_PyRuntime), holds the
// process still with ptrace for the read (a process already stopped is
// read as it is and stays stopped), and walks runtime → interpreter →
// thread states → frames → code objects. CPython 3.9 to 3.12 are read
// through tables of offsets taken from their headers (layouts_*.go), for
// 64-bit, i386 and 32-bit ARM/MIPS ABIs; 3.13 and later through the
// _Py_DebugOffsets the interpreter publishes at the start of _PyRuntime.
// Memory is decoded with encoding/binary at the target's pointer size and
// byte order, so one build reads 32- and 64-bit processes.
//
// Only what names a frame is read: the runtime's, interpreters' and
// thread states' pointers, frames, code objects, their name and filename
// strings and line tables. Never locals, arguments, globals, objects or
// buffers. Every foreign pointer is checked against the process's
// readable mappings before it is followed, and everything is bounded
// (Limits): threads, frames, string length, bytes read, time. A chain
// that is broken, loops or runs past a bound ends with a reason, never a
// panic or a hang.
package pymem
