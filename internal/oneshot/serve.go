package oneshot

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Limits bound what Serve spends on its clients. A zero field takes the
// default in DefaultLimits.
type Limits struct {
	// MaxRequest bounds the request line and headers, in bytes.
	MaxRequest int64
	// ReadTimeout bounds the wait for the whole request (line and
	// headers) on each connection: a slow client is cut then.
	ReadTimeout time.Duration
	// WriteTimeout bounds the writing of the answer.
	WriteTimeout time.Duration
	// MaxConns is how many requests are answered at once; more wait,
	// already read, for a slot in the order they came.
	MaxConns int
	// MaxPending is how many connections may be waiting for their
	// request at once; a new one past it cuts one: one that sent nothing
	// first, then the slowest, one whose whole request waits unread last,
	// so that idle or slow clients cannot keep a prompt one out.
	MaxPending int
	// StopTimeout bounds how long Serve waits for answers in flight once
	// its context ends; then their connections are cut.
	StopTimeout time.Duration
}

// DefaultLimits suit a metrics endpoint: a request is a GET line and a
// few headers; a scrape of 5000 kites is a few MB.
// Prometheus sends its request at once: 2 s for it is ample, and keeps a
// scrape prompt while hundreds of slow clients are connected.
var DefaultLimits = Limits{
	MaxRequest:   16 << 10,
	ReadTimeout:  2 * time.Second,
	WriteTimeout: 30 * time.Second,
	MaxConns:     16,
	MaxPending:   256,
	StopTimeout:  5 * time.Second,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	return Limits{
		MaxRequest:   cmp.Or(l.MaxRequest, d.MaxRequest),
		ReadTimeout:  cmp.Or(l.ReadTimeout, d.ReadTimeout),
		WriteTimeout: cmp.Or(l.WriteTimeout, d.WriteTimeout),
		MaxConns:     cmp.Or(l.MaxConns, d.MaxConns),
		MaxPending:   cmp.Or(l.MaxPending, d.MaxPending),
		StopTimeout:  cmp.Or(l.StopTimeout, d.StopTimeout),
	}
}

// Serve accepts connections on ln until ctx ends, reads one request from
// each (bounded by l.MaxRequest and l.ReadTimeout; at most l.MaxPending
// connections wait for theirs, the oldest idle one cut first), answers
// it with h (l.MaxConns at once) and closes the connection ("Connection:
// close"; no keep-alive, no HTTP/2). A request not sent within
// l.ReadTimeout is closed unanswered; one that is malformed or too long
// gets 400 at once, without a slot. The handler's answer is written as
// HTTP/1.1, its body ended by the close; for HEAD, without the body.
//
// Serve closes ln. It returns nil once ctx ended and the connections in
// flight were answered (or, after l.StopTimeout, cut), or the listener's
// error.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, l Limits) error {
	l = l.withDefaults()
	s := &server{h: h, l: l, conns: make(map[net.Conn]struct{}), began: make(map[net.Conn]time.Time), slots: make(chan struct{}, l.MaxConns),
		lingering: make(chan struct{}, l.MaxPending)}
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	err := s.accept(ctx, ln)
	_ = ln.Close()
	s.drain()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

type server struct {
	h     http.Handler
	l     Limits
	slots chan struct{}
	// lingering bounds the connections lingering after their answer.
	lingering chan struct{}
	wg        sync.WaitGroup

	mu    sync.Mutex // guards conns, pending, began and peekBuf
	conns map[net.Conn]struct{}
	// pending are the connections waiting for their request, oldest
	// first (at most MaxPending).
	pending []net.Conn
	// began is when the first byte of a pending connection's request
	// was read: the longer ago, the slower its sender.
	began map[net.Conn]time.Time
	// peekBuf is what a cut peeks into.
	peekBuf [peekMax]byte
}

// accept runs until ln fails or closes. It never waits for a slot: a
// connection is read at once, and only a request read waits.
func (s *server) accept(ctx context.Context, ln net.Listener) error {
	var pause time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if passing(err) {
				// Out of file descriptors, or a timeout: wait a little, as
				// net/http's server does, and go on.
				pause = min(max(2*pause, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(pause):
					continue
				case <-ctx.Done():
					return nil
				}
			}
			return fmt.Errorf("accept: %w", err)
		}
		pause = 0
		s.admit(c)
		s.wg.Go(func() {
			defer s.forget(c)
			defer c.Close()
			s.serve(ctx, c)
		})
	}
}

// admit tracks c and puts it among the pending connections, its request
// due within ReadTimeout, cutting the oldest pending when there are more
// than MaxPending. The deadline is set here, before c's goroutine runs,
// so that a cut is never undone by it.
func (s *server) admit(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(s.l.ReadTimeout))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[c] = struct{}{}
	s.pending = append(s.pending, c)
	if len(s.pending) > s.l.MaxPending {
		i := s.idlestLocked()
		old := s.pending[i]
		s.pending = slices.Delete(s.pending, i, i+1)
		delete(s.began, old)
		_ = old.SetDeadline(time.Now()) // its read fails; it is closed unanswered
	}
}

// begin notes that c's request began: its first byte was read. read,
// which serve always calls next, forgets it.
func (s *server) begin(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.began[c] = time.Now()
}

// read takes c out of the pending connections; it reports false when c
// was cut meanwhile.
func (s *server) read(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.began, c)
	for i, x := range s.pending {
		if x == c {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			return true
		}
	}
	return false
}

// passing reports whether an Accept error may go away by itself.
func passing(err error) bool {
	return isTimeout(err) ||
		errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ECONNABORTED)
}

// forget stops tracking c, closed.
func (s *server) forget(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// drain waits for the connections in flight, at most l.StopTimeout, then
// cuts those left.
func (s *server) drain() {
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return
	case <-time.After(s.l.StopTimeout):
	}
	s.mu.Lock()
	for c := range s.conns {
		_ = c.SetDeadline(time.Now())
	}
	s.mu.Unlock()
	<-done
}

// serve reads the request on c (one of the pending), waits for a slot and
// answers it.
func (s *server) serve(ctx context.Context, c net.Conn) {
	// A connection gets a pooled reader only once its first byte came, so
	// that idle ones cost no buffer; it is kept until the answer is
	// written (the request's body reads from it).
	var first [1]byte
	n, err := c.Read(first[:])
	var req *http.Request
	if n == 1 {
		s.begin(c)
		br := readers.Get().(*bufio.Reader)
		defer func() {
			br.Reset(nil)
			readers.Put(br)
		}()
		br.Reset(io.MultiReader(bytes.NewReader(first[:]), io.LimitReader(c, s.l.MaxRequest-1)))
		req, err = http.ReadRequest(br)
	}
	if !s.read(c) {
		return // cut to make room for a newer connection
	}
	if n == 0 || isTimeout(err) {
		// Closed, or not sent in time (idle, slowloris): closed
		// unanswered, as net/http's server does. An answer here would
		// take a slot and linger, and a flood's expiring connections
		// then kept every prompt scrape waiting (#30).
		return
	}
	_ = c.SetDeadline(time.Now().Add(s.l.WriteTimeout))
	w := newAnswer(c, req)
	if err != nil {
		// A request that is not HTTP: answered at once, no handler, no
		// slot.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "bad request\n")
	} else if !s.handle(ctx, w, c, req) {
		return
	}
	if w.finish() == nil {
		s.lingerClose(c)
	}
}

// handle answers req with the handler, in one of the l.MaxConns slots; it
// reports false when ctx ended first.
func (s *server) handle(ctx context.Context, w http.ResponseWriter, c net.Conn, req *http.Request) bool {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return false
	}
	req.RemoteAddr = c.RemoteAddr().String()
	s.h.ServeHTTP(w, req)
	return true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Lingering after an answer, so that a client whose request was not read
// to its end (a 400) gets the answer rather than a reset.
const (
	lingerTime  = 500 * time.Millisecond
	lingerBytes = 256 << 10
)

// lingerClose ends the writing side and reads what the client still
// sends, for lingerTime or lingerBytes at most; the caller then closes c.
// It holds no answer slot, and at most l.MaxPending connections linger at
// once: past that, c is closed at once.
func (s *server) lingerClose(c net.Conn) {
	select {
	case s.lingering <- struct{}{}:
		defer func() { <-s.lingering }()
	default:
		return
	}
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.CopyN(io.Discard, c, lingerBytes)
}

// answer is the http.ResponseWriter of one request: the status line and
// headers go out with the first write.
type answer struct {
	bw     *bufio.Writer
	header http.Header
	head   bool // a HEAD request: no body
	status int  // 0 until WriteHeader
	err    error
}

func newAnswer(c net.Conn, req *http.Request) *answer {
	return &answer{
		bw:     bufio.NewWriterSize(c, 16<<10),
		header: make(http.Header),
		head:   req != nil && req.Method == http.MethodHead,
	}
}

func (a *answer) Header() http.Header { return a.header }

func (a *answer) WriteHeader(status int) {
	if a.status != 0 {
		return
	}
	a.status = status
	a.header.Set("Connection", "close")
	_, a.err = fmt.Fprintf(a.bw, "HTTP/1.1 %s %s\r\n", strconv.Itoa(status), http.StatusText(status))
	if a.err == nil {
		a.err = a.header.Write(a.bw)
	}
	if a.err == nil {
		_, a.err = a.bw.WriteString("\r\n")
	}
}

func (a *answer) Write(b []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	if a.err != nil {
		return 0, a.err
	}
	if a.head {
		return len(b), nil
	}
	n, err := a.bw.Write(b)
	a.err = err
	return n, err
}

// finish sends what is buffered (an answer without a body gets its
// status line and headers).
func (a *answer) finish() error {
	a.WriteHeader(http.StatusOK)
	if a.err != nil {
		return a.err
	}
	return a.bw.Flush()
}
