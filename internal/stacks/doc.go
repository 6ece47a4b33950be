// Package stacks reads where a wedged PageKite was stuck, for the crash
// report (pagekite.py's Python stacks from its memory are internal/pymem's,
// kept here in Snapshot and signed by Sign): every thread's kernel-side state from
// /proc/PID/task (ReadThreads), the Python tracebacks that faulthandler
// writes on SIGSEGV (ParsePython, and Faulthandler to know whether it is
// on), native frames from eu-stack, gdb or systemd-coredump's journal
// entry (Native, ParseEuStack, ParseGDB, ParseCoredump), and a signature
// that groups the reports of one wedge (Sign).
//
// Only names and positions are kept: thread ids and states, the syscall
// a thread waits in, file/line/function of Python frames, module, offset
// and symbol of native frames. Never argument values, locals, registers
// or memory: the tools' raw output is parsed line by line into those
// fields and then dropped. Everything read is bounded (MaxThreads,
// MaxFrames, maxLine), whatever the process or the tool writes.
package stacks
