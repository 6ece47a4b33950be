package pymem

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// Stacks is what one read of a CPython process found.
type Stacks struct {
	PID int
	// Version is the interpreter's ("3.11.2"), File the ELF file that
	// defines its _PyRuntime.
	Version string
	File    string
	// Threads are the thread states read, in the interpreter's order
	// (newest first), each with its frames innermost first.
	Threads []stacks.PyThread
	// Note says why Threads is partial (a list that loops, a bound).
	Note string
	// Held says how the process was held still: HeldPtrace,
	// HeldStopped, or why it was read running; HeldFor how long it was
	// held, from the first thread seized to the last let go.
	Held    string
	HeldFor time.Duration
	// RunTimes are the threads' run times (stacks.RunTimes) read once the
	// process was let go and its threads were back in their waits: which
	// threads run afterwards can be told.
	RunTimes map[int]uint64
	// Took is the read's time, holding included; Bytes what it read.
	Took  time.Duration
	Bytes int
}

// Read reads the Python stacks of the CPython process pid, holding it
// still for the read (holdWhile), within Timeout and MaxBytes. It fails
// only when nothing could be read: not a CPython process (ErrNotPython),
// a version or build it cannot read (ErrVersion, ErrFreeThreaded), no
// permission to read its memory (CAP_SYS_PTRACE for a process that is
// not dumpable), or an interpreter not yet or no longer running. A read
// that ends part way returns what it read, with a Note.
func Read(ctx context.Context, pid int) (*Stacks, error) {
	start := time.Now()
	deadline := start.Add(Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	maps, err := readMaps(pid)
	if err != nil {
		return nil, err
	}
	proc := "/proc/" + strconv.Itoa(pid)
	in, err := locate(maps, proc+"/root", proc+"/exe")
	if err != nil {
		return nil, err
	}
	base, ok := baseLayout(in.Minor, in.ABI)
	if !ok {
		return nil, unreadable(in)
	}
	mem, err := openMem(pid)
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	r := &reader{mem: mem, maps: maps, order: in.Order, ptrSize: in.PtrSize, budget: MaxBytes, deadline: deadline, now: time.Now}
	s := &Stacks{PID: pid, Version: in.Version, File: in.File}
	var walkErr error
	s.Held, s.HeldFor = holdWhile(pid, deadline, func() {
		var raw []rawThread
		raw, s.Note, walkErr = walk(r, in.Runtime, base, s)
		if walkErr == nil && base.TstateNativeThreadID < 0 {
			nativeIDs(r, raw, taskIDs(pid))
		}
		for _, t := range raw {
			s.Threads = append(s.Threads, t.PyThread)
		}
	})
	settle(pid)
	s.RunTimes = stacks.RunTimes(pid)
	s.Took, s.Bytes = time.Since(start), r.read
	if walkErr != nil {
		return nil, walkErr
	}
	return s, nil
}

// walk reads the interpreter at runtime: the layout from its debug
// offsets where it has them, else base.
func walk(r *reader, runtime uint64, base Layout, s *Stacks) ([]rawThread, string, error) {
	l := base
	if base.Minor >= 13 {
		dl, hexver, ok, err := fromDebugOffsets(r, runtime, base)
		switch {
		case err != nil:
			return nil, "", err
		case !ok:
			return nil, "", fmt.Errorf("%w: CPython %s has no debug offsets at _PyRuntime", ErrVersion, s.Version)
		}
		l, s.Version = dl, hexVersion(hexver)
	}
	w := &walker{r: r, l: l, codes: map[uint64]*codeObject{}}
	raw, note, err := w.threads(runtime)
	if err != nil {
		return nil, "", err
	}
	if len(raw) == 0 {
		return nil, "", errors.New("no python thread")
	}
	return raw, note, nil
}

// baseLayout is the layout a minor version is read through: its table;
// for 3.14, 3.13's with what changed beside the debug offsets, which give
// the rest.
func baseLayout(minor int, abi ABI) (Layout, bool) {
	if minor != 14 {
		return layoutFor(minor, abi)
	}
	l, ok := layoutFor(13, abi)
	l.Minor = 14
	// Include/internal/pycore_stackref.h 3.14: f_executable is a
	// _PyStackRef whose two low bits are tags (Py_TAG_BITS) in the GIL
	// build. Include/internal/pycore_interpframe_structs.h 3.14:
	// FRAME_OWNED_BY_INTERPRETER = 3 marks the entry frames that
	// Python/traceback.c's dump_traceback skips (3.12 and 3.13 skipped
	// FRAME_OWNED_BY_CSTACK, also 3).
	l.FrameExecutableTagged = true
	l.FrameOwnerCStack = 3
	return l, ok
}

// Check says whether Read could read pid, without holding or walking it:
// the CPython version it would read, or the reason it could not (the
// errors Read returns before it walks).
func Check(pid int) (string, error) {
	maps, err := readMaps(pid)
	if err != nil {
		return "", err
	}
	proc := "/proc/" + strconv.Itoa(pid)
	in, err := locate(maps, proc+"/root", proc+"/exe")
	if err != nil {
		return "", err
	}
	if _, ok := baseLayout(in.Minor, in.ABI); !ok {
		return in.Version, unreadable(in)
	}
	mem, err := openMem(pid)
	if err != nil {
		return in.Version, err
	}
	return in.Version, mem.Close()
}

// unreadable is ErrVersion for an interpreter without a layout.
func unreadable(in interpreter) error {
	return fmt.Errorf("%w: CPython %s (%s, %s): this build reads 3.9 to 3.14", ErrVersion, in.Version, in.File, in.ABI)
}
