package pymem

import (
	"errors"
	"fmt"

	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// walker reads the thread states and frames of one interpreter through
// one layout. It keeps nothing but names and positions.
type walker struct {
	r *reader
	l Layout
	// codes caches the code objects read, by address.
	codes map[uint64]*codeObject
	// stop is the error that ended the whole walk (budget, deadline).
	stop error
}

// codeObject is what a frame's code object names.
type codeObject struct {
	file, name string
	first      int
	table      []byte
	err        error
}

// rawThread is a thread as read, before its native id is known.
type rawThread struct {
	stacks.PyThread
	pthread uint64
}

// threads walks runtime → interpreters.head → its thread states, and
// each one's frames. note says why the list is partial; err is set when
// nothing could be read.
func (w *walker) threads(runtime uint64) (ts []rawThread, note string, err error) {
	l, r := &w.l, w.r
	rb, err := r.blockAt(runtime+uint64(l.RuntimeInterpretersHead), int64(r.ptrSize))
	if err != nil {
		return nil, "", fmt.Errorf("read _PyRuntime: %w", err)
	}
	interp := rb.ptr(0)
	if interp == 0 {
		return nil, "", errors.New("no interpreter: python is starting or exiting")
	}
	ib, err := r.blockAt(interp+uint64(l.InterpThreadsHead), int64(r.ptrSize))
	if err != nil {
		return nil, "", fmt.Errorf("read the interpreter: %w", err)
	}
	seen := map[uint64]bool{}
	tsize := span(r.ptrSize, l.TstateNext, l.TstateThreadID, l.TstateNativeThreadID, l.TstateFrame, l.TstateCFrame)
	for t := ib.ptr(0); t != 0; {
		switch {
		case len(ts) == MaxThreads:
			return ts, fmt.Sprintf("more than %d threads: the rest left out", MaxThreads), nil
		case seen[t]:
			return ts, "the thread list loops", nil
		}
		seen[t] = true
		tb, err := r.blockAt(t, tsize)
		if err != nil {
			return ts, fmt.Sprintf("thread state %d unreadable: %v", len(ts)+1, err), nil
		}
		var th rawThread
		th.pthread = tb.ptr(l.TstateThreadID)
		th.ID = fmt.Sprintf("0x%0*x", 2*r.ptrSize, th.pthread)
		if l.TstateNativeThreadID >= 0 {
			th.NativeID = int(tb.ptr(l.TstateNativeThreadID))
		}
		frame := tb.ptr(l.TstateFrame)
		if l.TstateCFrame >= 0 {
			frame = 0
			if cf := tb.ptr(l.TstateCFrame); cf != 0 {
				cb, err := r.blockAt(cf+uint64(l.CFrameCurrentFrame), int64(r.ptrSize))
				if err != nil {
					th.Note = "cframe unreadable: " + err.Error()
				} else {
					frame = cb.ptr(0)
				}
			}
		}
		w.frames(&th.PyThread, frame)
		ts = append(ts, th)
		if w.stop != nil {
			return ts, w.stop.Error(), nil
		}
		t = tb.ptr(l.TstateNext)
	}
	return ts, "", nil
}

// frames follows a thread's frames from the innermost, keeping MaxFrames
// and counting the rest; a frame chain that loops, breaks or runs past
// maxFrameWalk ends with a note on the thread.
func (w *walker) frames(t *stacks.PyThread, f uint64) {
	l, r := &w.l, w.r
	fsize := max(span(r.ptrSize, l.FramePrevious, l.FrameCode, l.FrameInstr), span(4, l.FrameLasti), span(1, l.FrameOwner))
	seen := map[uint64]bool{}
	for steps := 0; f != 0; steps++ {
		switch {
		case steps == maxFrameWalk:
			t.Note = fmt.Sprintf("more than %d frames: the count stops there", maxFrameWalk)
			return
		case seen[f]:
			t.Note = "the frame chain loops"
			return
		}
		seen[f] = true
		fb, err := r.blockAt(f, fsize)
		if err != nil {
			w.fail(t, "frame unreadable", err)
			return
		}
		prev := fb.ptr(l.FramePrevious)
		if l.FrameOwnerCStack >= 0 && int64(fb.u8(l.FrameOwner)) == l.FrameOwnerCStack {
			f = prev // a shim frame of the C stack: faulthandler skips it
			continue
		}
		if len(t.Frames) == MaxFrames {
			t.FramesOmitted++
			f = prev
			continue
		}
		code := fb.ptr(l.FrameCode)
		if l.FrameExecutableTagged {
			code &^= 3
		}
		c := w.code(code)
		if c.err != nil {
			w.fail(t, "code object unreadable", c.err)
			return
		}
		t.Frames = append(t.Frames, stacks.PyFrame{File: stacks.Homeless(c.file), Function: c.name, Line: w.line(c, fb, code)})
		f = prev
	}
}

// fail ends a thread's walk with a note; a spent budget or deadline ends
// the whole walk.
func (w *walker) fail(t *stacks.PyThread, what string, err error) {
	t.Note = what + ": " + err.Error()
	if errors.Is(err, ErrBudget) || errors.Is(err, ErrDeadline) {
		w.stop = err
	}
}

// code reads (once) the code object at addr.
func (w *walker) code(addr uint64) *codeObject {
	if c, ok := w.codes[addr]; ok {
		return c
	}
	l := &w.l
	c := &codeObject{}
	w.codes[addr] = c
	b, err := w.r.blockAt(addr, max(span(w.r.ptrSize, l.CodeFilename, l.CodeName, l.CodeLineTable), span(4, l.CodeFirstLineno)))
	if err != nil {
		c.err = err
		return c
	}
	c.first = int(b.i32(l.CodeFirstLineno))
	if c.file, c.err = w.str(b.ptr(l.CodeFilename)); c.err != nil {
		return c
	}
	if c.name, c.err = w.str(b.ptr(l.CodeName)); c.err != nil {
		return c
	}
	// A line table too long or unreadable costs the line, not the frame.
	c.table, _ = w.bytesObj(b.ptr(l.CodeLineTable), maxLineTable)
	return c
}

// line is the line a frame is at, as faulthandler prints it; -1 where
// the table has none or could not be read.
func (w *walker) line(c *codeObject, fb *block, code uint64) int {
	if c.table == nil {
		return -1
	}
	l := &w.l
	switch l.Lines {
	case Lnotab:
		return lnotabLine(c.table, c.first, int(fb.i32(l.FrameLasti)))
	case Linetable310:
		return linetable310Line(c.table, c.first, 2*int(fb.i32(l.FrameLasti)))
	}
	instr, start := fb.ptr(l.FrameInstr), code+uint64(l.CodeAdaptive)
	if instr < start || instr-start > 1<<30 {
		// 3.11's prev_instr sits one unit before the first before it ran.
		if instr+2 == start {
			return c.first
		}
		return -1
	}
	return locationsLine(c.table, c.first, int((instr-start)/2))
}
