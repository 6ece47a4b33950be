package oneshot

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// ErrHeaderTooLong: the answer's status line and headers did not end
// within the allowed bytes. ReadResponse's error says how many.
var ErrHeaderTooLong = errors.New("answer headers too long")

// headerTooLong is ErrHeaderTooLong with the limit.
type headerTooLong struct{ max int64 }

func (e headerTooLong) Error() string {
	return fmt.Sprintf("answer headers longer than %d KiB", e.max>>10)
}

func (e headerTooLong) Is(target error) bool { return target == ErrHeaderTooLong }

// Reader bounds what is read of an answer: MaxHeader bytes up to the body
// (status line and headers together), then MaxBody bytes of body.
type Reader struct {
	lr        *io.LimitedReader
	maxHeader int64
	br        *bufio.Reader
	// maxBody is added to what is left of the header allowance once the
	// headers are read.
	maxBody int64
}

// Buffers are pooled: a probe is one request and one answer, and 8 KiB of
// fresh buffers per probe were a third of the daemon's allocations.
var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4<<10) }}
)

// NewReader reads from r at most maxHeader bytes up to the body and then
// maxBody bytes of body, through a 4 KiB buffer. Release it once neither it
// nor what it returned is read any more.
func NewReader(r io.Reader, maxHeader, maxBody int64) *Reader {
	lr := &io.LimitedReader{R: r, N: maxHeader}
	br := readers.Get().(*bufio.Reader)
	br.Reset(lr)
	return &Reader{lr: lr, maxHeader: maxHeader, br: br, maxBody: maxBody}
}

// Release returns the buffer for reuse; r must not be used after.
func (r *Reader) Release() {
	if r.br == nil {
		return
	}
	r.br.Reset(nil)
	readers.Put(r.br)
	r.br = nil
}

// WriteRequest writes req to w as HTTP/1.1 with net/http's Request.Write
// (request line, Host, User-Agent, req.Header with line breaks in values
// turned into spaces, Content-Length, "Connection: close" when req.Close,
// the body) through a pooled buffer, and flushes it. No chunked encoding:
// a body needs its ContentLength.
func WriteRequest(w io.Writer, req *http.Request) error {
	if req.Body != nil && req.ContentLength <= 0 {
		return errors.New("oneshot: a request body needs its ContentLength")
	}
	// Request.Write would send an invalid Host as an empty one: refused
	// here, as the relay routes by Host.
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if host == "" || strings.ContainsAny(host, " \r\n") || strings.ContainsAny(req.Method, " \r\n") {
		return fmt.Errorf("oneshot: bad request host %q or method %q", host, req.Method)
	}
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	defer func() {
		bw.Reset(nil)
		writers.Put(bw)
	}()
	if err := req.Write(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// Buffered is the buffered reader, for a look at the answer before it is
// parsed (Peek).
func (r *Reader) Buffered() *bufio.Reader { return r.br }

// ReadResponse parses the answer to req. Its body reads at most maxBody
// bytes (plus whatever the headers left of their allowance). The error is
// http.ReadResponse's, or one that is ErrHeaderTooLong when the headers
// did not end within maxHeader bytes.
func (r *Reader) ReadResponse(req *http.Request) (*http.Response, error) {
	resp, err := http.ReadResponse(r.br, req)
	if err != nil {
		if r.lr.N <= 0 {
			return nil, headerTooLong{r.maxHeader}
		}
		return nil, err
	}
	r.lr.N += r.maxBody
	return resp, nil
}
