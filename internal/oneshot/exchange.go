package oneshot

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// NewReader reads from r at most maxHeader bytes up to the body and then
// maxBody bytes of body, through a 4 KiB buffer.
func NewReader(r io.Reader, maxHeader, maxBody int64) *Reader {
	lr := &io.LimitedReader{R: r, N: maxHeader}
	return &Reader{lr: lr, maxHeader: maxHeader, br: bufio.NewReaderSize(lr, 4<<10), maxBody: maxBody}
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
