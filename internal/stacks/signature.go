package stacks

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"slices"
	"strings"
)

// signatureFrames is how many of a thread's innermost frames make its
// part of the signature.
const signatureFrames = 5

// Sign returns a stable signature of a wedge and what it was made from
// ("python", "native" or "threads"; "" and "" when there is nothing).
// The Python stacks read from memory (mem) come first whenever there are
// any: they were read while the process was held still, before any
// signal. Faulthandler's tracebacks (fault) sign only where nothing was
// read from memory.
// It hashes function names, never addresses, line numbers or thread ids:
// for each thread its innermost signatureFrames frames (Python: file base
// name and function; native: symbol, else module), the distinct threads
// sorted, so that the same wedge gives the same signature across restarts
// and machines, whatever order the threads were listed in. Without frames
// the threads' kernel states (state, syscall, wchan) are signed.
//
// A process that was stopped when its threads were read (every thread in
// state T or t: SIGSTOP, a debugger) did not wedge itself, and its Python
// tracebacks are not what it was stopped at: faulthandler writes them
// after the kill thaws it, when a thread whose sleep or epoll ran out
// meanwhile has moved on. It is signed by what was read while it was
// stopped: native frames, else the threads' states.
func Sign(mem, fault []PyThread, native []NativeThread, threads []Thread) (sig, from string) {
	var parts []string
	py := mem
	if len(py) == 0 && !stopped(threads) {
		py = fault
	}
	switch {
	case len(py) > 0:
		from = "python"
		for _, t := range py {
			var fs []string
			for _, f := range t.Frames[:min(len(t.Frames), signatureFrames)] {
				fs = append(fs, path.Base(f.File)+":"+f.Function)
			}
			parts = append(parts, strings.Join(fs, ">"))
		}
	case len(native) > 0:
		from = "native"
		for _, t := range native {
			var fs []string
			for _, f := range t.Frames[:min(len(t.Frames), signatureFrames)] {
				name, _, _ := strings.Cut(f.Symbol, "@") // __pthread_mutex_lock@GLIBC_2.2.5
				fs = append(fs, cmp.Or(name, f.Module))
			}
			parts = append(parts, strings.Join(fs, ">"))
		}
	case len(threads) > 0:
		from = "threads"
		for _, t := range threads {
			parts = append(parts, t.State+"/"+t.Syscall+"/"+t.Wchan)
		}
	default:
		return "", ""
	}
	slices.Sort(parts)
	parts = slices.Compact(parts)
	h := sha256.Sum256([]byte(from + "\n" + strings.Join(parts, "\n")))
	return hex.EncodeToString(h[:16]), from
}

// stopped reports whether every thread was stopped (state T, or t when
// traced) when it was read; false for none.
func stopped(threads []Thread) bool {
	for _, t := range threads {
		if t.State != "T" && t.State != "t" {
			return false
		}
	}
	return len(threads) > 0
}
