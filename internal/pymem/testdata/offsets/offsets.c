/*
 * offsets.c: the offsets of the CPython fields internal/pymem reads, taken
 * from one CPython version's own headers by the compiler, for one ABI.
 *
 * Build against a version's headers (its include dir and its internal/):
 *
 *   gcc -DPy_BUILD_CORE -I$INC -I$INC/internal -c offsets.c
 *
 * The object file holds two arrays, with no relocations, so a test reads
 * them with debug/elf whatever the target ABI (no need to run it):
 *   pymem_names:  the field names, each ended by a NUL, in order;
 *   pymem_values: one int64 per name (the offset, size or constant).
 * Names are Layout's field names; "Debug.x.y" (3.13 on) is the byte offset
 * of field x.y in _Py_DebugOffsets. Built with -DOFFSETS_MAIN it is also a
 * program that prints "name value" lines.
 */
#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE 1
#endif
#include <stddef.h>
#include "Python.h"
#include "frameobject.h"
#include "pycore_runtime.h"
#include "pycore_interp.h"
#if PY_MINOR_VERSION >= 11
#include "pycore_frame.h"
#include "pycore_code.h"
#endif

#if PY_MAJOR_VERSION != 3 || PY_MINOR_VERSION < 9 || PY_MINOR_VERSION > 13
#error "offsets.c knows CPython 3.9 to 3.13"
#endif

#define COMMON_FIELDS(X) \
    X(RuntimeInterpretersHead, offsetof(_PyRuntimeState, interpreters.head)) \
    X(TstateNext, offsetof(PyThreadState, next)) \
    X(TstateThreadID, offsetof(PyThreadState, thread_id)) \
    X(CodeFilename, offsetof(PyCodeObject, co_filename)) \
    X(CodeName, offsetof(PyCodeObject, co_name)) \
    X(CodeFirstLineno, offsetof(PyCodeObject, co_firstlineno)) \
    X(UnicodeLength, offsetof(PyASCIIObject, length)) \
    X(UnicodeState, offsetof(PyASCIIObject, state)) \
    X(UnicodeASCIIData, sizeof(PyASCIIObject)) \
    X(UnicodeCompactData, sizeof(PyCompactUnicodeObject)) \
    X(BytesSize, offsetof(PyBytesObject, ob_base.ob_size)) \
    X(BytesData, offsetof(PyBytesObject, ob_sval))

#if PY_MINOR_VERSION <= 10
#define VERSION_FIELDS(X) \
    X(InterpThreadsHead, offsetof(PyInterpreterState, tstate_head)) \
    X(TstateFrame, offsetof(PyThreadState, frame)) \
    X(FramePrevious, offsetof(PyFrameObject, f_back)) \
    X(FrameCode, offsetof(PyFrameObject, f_code)) \
    X(FrameLasti, offsetof(PyFrameObject, f_lasti)) \
    VERSION_LINETABLE(X)
#if PY_MINOR_VERSION == 9
#define VERSION_LINETABLE(X) X(CodeLineTable, offsetof(PyCodeObject, co_lnotab))
#else
#define VERSION_LINETABLE(X) X(CodeLineTable, offsetof(PyCodeObject, co_linetable))
#endif

#elif PY_MINOR_VERSION <= 12
#define VERSION_FIELDS(X) \
    X(InterpThreadsHead, offsetof(PyInterpreterState, threads.head)) \
    X(TstateNativeThreadID, offsetof(PyThreadState, native_thread_id)) \
    X(TstateCFrame, offsetof(PyThreadState, cframe)) \
    X(CFrameCurrentFrame, offsetof(_PyCFrame, current_frame)) \
    X(FramePrevious, offsetof(_PyInterpreterFrame, previous)) \
    X(FrameCode, offsetof(_PyInterpreterFrame, f_code)) \
    X(FrameInstr, offsetof(_PyInterpreterFrame, prev_instr)) \
    X(FrameOwner, offsetof(_PyInterpreterFrame, owner)) \
    X(CodeLineTable, offsetof(PyCodeObject, co_linetable)) \
    X(CodeAdaptive, offsetof(PyCodeObject, co_code_adaptive)) \
    VERSION_CSTACK(X)
#if PY_MINOR_VERSION == 12
#define VERSION_CSTACK(X) X(FrameOwnerCStack, FRAME_OWNED_BY_CSTACK)
#else
#define VERSION_CSTACK(X)
#endif

#else /* 3.13 */
#define VERSION_FIELDS(X) \
    X(InterpThreadsHead, offsetof(PyInterpreterState, threads.head)) \
    X(TstateNativeThreadID, offsetof(PyThreadState, native_thread_id)) \
    X(TstateFrame, offsetof(PyThreadState, current_frame)) \
    X(FramePrevious, offsetof(_PyInterpreterFrame, previous)) \
    X(FrameCode, offsetof(_PyInterpreterFrame, f_executable)) \
    X(FrameInstr, offsetof(_PyInterpreterFrame, instr_ptr)) \
    X(FrameOwner, offsetof(_PyInterpreterFrame, owner)) \
    X(FrameOwnerCStack, FRAME_OWNED_BY_CSTACK) \
    X(CodeLineTable, offsetof(PyCodeObject, co_linetable)) \
    X(CodeAdaptive, offsetof(PyCodeObject, co_code_adaptive)) \
    DEBUG_FIELD(X, runtime_state.interpreters_head) \
    DEBUG_FIELD(X, interpreter_state.threads_head) \
    DEBUG_FIELD(X, thread_state.next) \
    DEBUG_FIELD(X, thread_state.current_frame) \
    DEBUG_FIELD(X, thread_state.thread_id) \
    DEBUG_FIELD(X, thread_state.native_thread_id) \
    DEBUG_FIELD(X, interpreter_frame.previous) \
    DEBUG_FIELD(X, interpreter_frame.executable) \
    DEBUG_FIELD(X, interpreter_frame.instr_ptr) \
    DEBUG_FIELD(X, interpreter_frame.owner) \
    DEBUG_FIELD(X, code_object.filename) \
    DEBUG_FIELD(X, code_object.name) \
    DEBUG_FIELD(X, code_object.linetable) \
    DEBUG_FIELD(X, code_object.firstlineno) \
    DEBUG_FIELD(X, code_object.co_code_adaptive) \
    DEBUG_FIELD(X, bytes_object.ob_size) \
    DEBUG_FIELD(X, bytes_object.ob_sval) \
    DEBUG_FIELD(X, unicode_object.state) \
    DEBUG_FIELD(X, unicode_object.length) \
    DEBUG_FIELD(X, unicode_object.asciiobject_size)
#define DEBUG_FIELD(X, f) X(Debug.f, offsetof(_Py_DebugOffsets, f))
#endif

#define FIELDS(X) COMMON_FIELDS(X) VERSION_FIELDS(X)

#define NAME(name, value) #name "\0"
#define VALUE(name, value) (long long)(value),

const char pymem_names[] = FIELDS(NAME);
const long long pymem_values[] = {FIELDS(VALUE)};

#ifdef OFFSETS_MAIN
#include <stdio.h>
#include <string.h>

int main(void)
{
    const char *name = pymem_names;
    size_t i;

    for (i = 0; i < sizeof(pymem_values) / sizeof(pymem_values[0]); i++) {
        printf("%s %lld\n", name, pymem_values[i]);
        name += strlen(name) + 1;
    }
    return 0;
}
#endif
