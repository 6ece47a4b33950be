package oneshot

import (
	"bytes"
	"net"
	"syscall"
	"time"
)

// cutScan is how many of the oldest pending connections a cut looks at,
// beside the newest.
const cutScan = 16

// slowAfter is how long ago a request must have begun, unfinished, for a
// cut to take its sender for a slow one: a prompt request is parsed in
// well under that, even on a loaded machine.
const slowAfter = 250 * time.Millisecond

// peekMax bounds what a cut peeks at to see whether a whole request head
// waits: a scrape's is a few hundred bytes.
const peekMax = 4 << 10

// What a cut sees of a pending connection, the first to cut first.
const (
	cutIdle       = iota // it sent nothing
	cutSlow              // its request began at least slowAfter ago
	cutUnfinished        // part of a request head waits unread
	cutReading           // its request began just now: being read
	cutPrompt            // a whole request head waits unread
)

// idlestLocked picks the pending connection to cut, among the cutScan
// oldest and the newest (the one just admitted): the oldest that sent
// nothing, else the one whose request began longest ago (a slowloris),
// else the oldest with an unfinished request head waiting, else the one
// being read whose request began first, else, every one scanned having a
// whole request waiting, the newest, as a queue keeps its order. A prompt
// request is never cut for a slow one: not while its bytes wait for its
// goroutine (hundreds of connections come in at once), nor while that
// goroutine reads them (#30: a scrape under 300 slowloris was cut twice,
// once as the oldest of the pending, once as one that sent nothing yet,
// on a loaded CI). The caller holds s.mu.
func (s *server) idlestLocked() int {
	now := time.Now()
	best, bestKind := -1, cutPrompt+1
	var bestAt time.Time
	scan := min(len(s.pending), cutScan)
	for i := range s.pending {
		if i >= scan && i != len(s.pending)-1 {
			continue
		}
		c := s.pending[i]
		kind, at := s.classifyLocked(c, now)
		switch {
		case kind < bestKind,
			kind == bestKind && kind == cutPrompt,
			kind == bestKind && (kind == cutSlow || kind == cutReading) && at.Before(bestAt):
			best, bestKind, bestAt = i, kind, at
		}
		if kind == cutIdle {
			break
		}
	}
	return best
}

// classifyLocked says what a cut sees of c, and when its request began
// (for cutSlow and cutReading). The caller holds s.mu.
func (s *server) classifyLocked(c net.Conn, now time.Time) (int, time.Time) {
	if at, ok := s.began[c]; ok {
		if now.Sub(at) >= slowAfter {
			return cutSlow, at
		}
		return cutReading, at
	}
	b := peek(c, s.peekBuf[:])
	switch {
	case len(b) == 0:
		return cutIdle, time.Time{}
	case bytes.Contains(b, []byte("\n\r\n")) || bytes.Contains(b, []byte("\n\n")):
		return cutPrompt, time.Time{}
	}
	return cutUnfinished, time.Time{}
}

// peek returns the bytes sent by the client that wait unread on c, at
// most len(buf), without waiting and without taking them.
func peek(c net.Conn, buf []byte) []byte {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	var n int
	// Control, not Read: c's goroutine may be blocked reading it, and
	// holds its read lock meanwhile. A peek that never waits needs none.
	_ = rc.Control(func(fd uintptr) {
		n, _, _ = syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	})
	return buf[:max(n, 0)]
}
