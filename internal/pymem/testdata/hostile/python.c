/* A program that is no CPython but looks like one to a reader: built as
 * "python3.11", it defines _PyRuntime and Py_Version (3.11.2), and fills
 * _PyRuntime with garbage: with -DSELF, every word points at _PyRuntime
 * itself (an interpreter, thread state, frame and code object that are
 * all the same bytes: every chain loops); otherwise words that point
 * nowhere. It prints "ready" and sleeps until killed. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((used, visibility("default"))) uintptr_t _PyRuntime[4096];
__attribute__((used, visibility("default"))) const unsigned long Py_Version = 0x030b02f0;

int main(void) {
	for (int i = 0; i < 4096; i++) {
#ifdef SELF
		_PyRuntime[i] = (uintptr_t)_PyRuntime;
#else
		_PyRuntime[i] = (uintptr_t)0x4141414141414141ull + (uintptr_t)i * 4096;
#endif
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
