package stacks

import (
	"path"
	"regexp"
	"strconv"
	"strings"
)

// PyFrame is one frame of a Python stack.
type PyFrame struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Function string `json:"function"`
}

// PyThread is one thread's Python stack, frames most recent first: from
// a faulthandler dump, or read from the process's memory (pymem).
type PyThread struct {
	// ID is Python's thread id as faulthandler prints it ("0x00007f...").
	ID string `json:"id"`
	// NativeID is the thread's TID (from memory only; 0 when unknown).
	NativeID int `json:"native_id,omitempty"`
	// Current: the thread that took the signal (faulthandler only).
	Current bool      `json:"-"`
	Frames  []PyFrame `json:"frames"`
	// FramesOmitted counts the outer frames past MaxFrames; Note says why
	// a read from memory ended early (a chain that loops, breaks, runs
	// past its bound).
	FramesOmitted int    `json:"frames_omitted,omitempty"`
	Note          string `json:"note,omitempty"`
	// RanAfterRead: the thread ran between the read from memory and the
	// kill signal (MarkRan), so faulthandler's dump may show it elsewhere.
	RanAfterRead bool `json:"ran_after_read,omitempty"`
}

// faulthandler's lines (Python 3.x, Modules/faulthandler.c and
// Python/traceback.c), after the prefix a journal or syslog adds:
//
//	Fatal Python error: Segmentation fault
//
//	Current thread 0x00007f78aa6102c0 (most recent call first):
//	  File "/usr/lib/python3/dist-packages/pagekite/pk.py", line 3967 in Epoll
//	Thread 0x00007f78a37fe6c0 (most recent call first):
//	  File "/usr/lib/python3.11/threading.py", line 320 in wait
var (
	pyFatal  = regexp.MustCompile(`^Fatal Python error: `)
	pyThread = regexp.MustCompile(`^(Current thread|Thread) (0x[0-9a-fA-F]{1,16})(?: \[[^\]]{0,64}\])? \(most recent call first\):\s*$`)
	pyFrame  = regexp.MustCompile(`^  File "([^"]+)", line (\d{1,9}) in (\S[^\s]{0,255})\s*$`)
)

// ParsePython returns the threads of the last faulthandler dump in lines
// (a log, oldest first), nil when there is none. A line counts only where
// faulthandler's text starts it, or follows a journal or syslog prefix
// (ending in ": ", without "="): a PageKite log line that quotes a remote
// request ("ts=...; GET=/Thread 0x1 ...") is never taken for a frame.
// Files under a home directory keep only their base name.
func ParsePython(lines []string) []PyThread {
	var dump []PyThread
	var cur *PyThread
	for _, l := range lines {
		if len(l) > maxLine {
			cur = nil
			continue
		}
		body, ok := unprefixed(l)
		if !ok {
			cur = nil
			continue
		}
		if pyFatal.MatchString(body) {
			dump, cur = nil, nil // a new dump: the last one counts
			continue
		}
		if m := pyThread.FindStringSubmatch(body); m != nil {
			cur = nil
			if len(dump) < MaxThreads {
				dump = append(dump, PyThread{ID: strings.ToLower(m[2]), Current: m[1] == "Current thread"})
				cur = &dump[len(dump)-1]
			}
			continue
		}
		if m := pyFrame.FindStringSubmatch(body); m != nil && cur != nil {
			if len(cur.Frames) < MaxFrames {
				n, _ := strconv.Atoi(m[2])
				cur.Frames = append(cur.Frames, PyFrame{File: Homeless(m[1]), Line: n, Function: clip(m[3])})
			}
			continue
		}
		cur = nil
	}
	return dump
}

// unprefixed is l after a journal or syslog prefix; ok false when the
// prefix is not one (it has "=", or does not end in ": ").
func unprefixed(l string) (string, bool) {
	for _, mark := range []string{"Fatal Python error: ", "Current thread 0x", "Thread 0x", "  File \""} {
		i := strings.Index(l, mark)
		if i < 0 {
			continue
		}
		prefix := l[:i]
		if prefix == "" || (strings.HasSuffix(prefix, ": ") && !strings.Contains(prefix, "=")) {
			return l[i:], true
		}
		return "", false
	}
	return "", false
}

// Homeless keeps only the base name of a path under a home directory
// (/home/USER/..., /root/..., /var/home/...): a user's name and layout
// stay home. Other paths are kept whole.
func Homeless(p string) string {
	for _, home := range []string{"/home/", "/root/", "/var/home/", "/Users/"} {
		if strings.HasPrefix(p, home) {
			return path.Base(p)
		}
	}
	return p
}
