package report

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/child"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// stacksJSON is report.json's stacks: where PageKite was stuck.
type stacksJSON struct {
	// ReadAt is when the threads were read: before the first signal.
	ReadAt  time.Time       `json:"read_at,omitzero"`
	Threads []stacks.Thread `json:"threads"`
	// ThreadsNote says why threads is empty.
	ThreadsNote string `json:"threads_note,omitempty"`
	// Faulthandler is pagekite.py's: "on: ..." or "off: ..." with how it
	// was found.
	Faulthandler string `json:"faulthandler,omitempty"`
	// Python is every thread's Python stack, innermost first: read from
	// pagekite.py's memory before any signal (PythonSource "memory", with
	// PythonVersion), else faulthandler's tracebacks from the harvested log
	// ("faulthandler"). PythonFaulthandler keeps faulthandler's beside the
	// ones read from memory. PythonCurrent is the thread that took the
	// signal, in faulthandler's dump; PythonNote says why there are none.
	Python             []stacks.PyThread `json:"python,omitempty"`
	PythonSource       string            `json:"python_source,omitempty"`
	PythonVersion      string            `json:"python_version,omitempty"`
	PythonFaulthandler []stacks.PyThread `json:"python_faulthandler,omitempty"`
	PythonCurrent      string            `json:"python_current,omitempty"`
	PythonNote         string            `json:"python_note,omitempty"`
	// Native maps a thread id (tid) to its frames, innermost first, read
	// by NativeSource: "eu-stack", "gdb" or "systemd-coredump".
	Native       map[string][]stacks.NativeFrame `json:"native,omitempty"`
	NativeSource string                          `json:"native_source,omitempty"`
	NativeNote   string                          `json:"native_note,omitempty"`
	// Signature groups reports of one wedge (stacks.Sign); SignatureFrom
	// says what it hashes: "python", "native" or "threads".
	Signature     string `json:"signature,omitempty"`
	SignatureFrom string `json:"signature_from,omitempty"`
}

// coredumpMessageID is the MESSAGE_ID of systemd-coredump's "dumped core"
// entry.
const coredumpMessageID = "fc2e22bc6ee647b6b90729ab34a250b1"

// stacksOf is report.json's stacks for in, with the Python tracebacks of
// the harvested log lines (from source) and, where the restart left them
// to systemd-coredump, its journal entry's stacks. nil when the restart
// read nothing and the log has no traceback.
func (b *Builder) stacksOf(ctx context.Context, in Input, lines []string, source string) *stacksJSON {
	snap := in.Stacks
	py := stacks.ParsePython(lines)
	if snap == nil && len(py) == 0 {
		return nil
	}
	s := &stacksJSON{}
	var native []stacks.NativeThread
	if snap != nil {
		s.ReadAt, s.Threads, s.ThreadsNote = snap.At.UTC(), snap.Threads, snap.ThreadsErr
		if s.Threads == nil {
			s.Threads = []stacks.Thread{}
		}
		native, s.NativeSource, s.NativeNote = snap.Native, snap.NativeSource, snap.NativeNote
		if snap.NativeFromCoredump {
			native, s.NativeNote = b.coredumpStacks(ctx, snap.PID)
			if len(native) > 0 {
				s.NativeSource = "systemd-coredump"
			}
		}
		if fh := snap.Faulthandler; fh != nil {
			s.Faulthandler = "off: " + fh.Why
			if fh.On {
				s.Faulthandler = "on: " + fh.Why
			}
		}
	}
	var mem []stacks.PyThread
	if snap != nil {
		mem = snap.Python
		s.PythonVersion, s.PythonNote = snap.PythonVersion, snap.PythonNote
	}
	for _, t := range py {
		if t.Current {
			s.PythonCurrent = t.ID
		}
	}
	switch {
	case len(mem) > 0:
		s.Python, s.PythonSource, s.PythonFaulthandler = mem, "memory", py
	case len(py) > 0:
		s.Python, s.PythonSource = py, "faulthandler"
	case snap != nil && snap.Faulthandler != nil:
		why := "faulthandler is off (it can be turned on with " + stacks.DropIn + ")"
		if snap.Faulthandler.On {
			why = "faulthandler is on, but the harvested log (" + source + ") has no traceback: PageKite's stderr may go elsewhere"
		}
		s.PythonNote = strings.TrimPrefix(s.PythonNote+"; "+why, "; ")
	}
	if len(native) > 0 {
		s.Native = make(map[string][]stacks.NativeFrame, len(native))
		for _, t := range native {
			s.Native[strconv.Itoa(t.TID)] = t.Frames
		}
	}
	var threads []stacks.Thread
	if snap != nil {
		threads = snap.Threads
	}
	s.Signature, s.SignatureFrom = stacks.Sign(mem, py, native, threads)
	return s
}

// coredumpStacks reads the stack traces of systemd-coredump's newest
// entry for pid (journalctl, bounded in time and size).
func (b *Builder) coredumpStacks(ctx context.Context, pid int) ([]stacks.NativeThread, string) {
	out, err := child.Run(ctx, child.Cmd{
		Argv:    []string{b.opts.Journalctl, "--no-pager", "-o", "cat", "-n", "1", "MESSAGE_ID=" + coredumpMessageID, "COREDUMP_PID=" + strconv.Itoa(pid)},
		Timeout: journalTimeout, MaxOutput: 1 << 20,
	})
	if err != nil {
		return nil, "systemd-coredump's journal entry unreadable: " + err.Error()
	}
	threads := stacks.ParseCoredump(out.Stdout)
	if len(threads) == 0 {
		return nil, "no stack trace in systemd-coredump's journal entry for pid " + strconv.Itoa(pid)
	}
	return threads, ""
}
