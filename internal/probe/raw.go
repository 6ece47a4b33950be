package probe

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/oneshot"
)

// probeRaw probes a raw kite: CONNECT NAME:PORT HTTP/1.0 to the relay.
//
//   - 503 → KiteDown (confirmed by the relay ping).
//   - 200, then data → Flying; 200, then silence for Options.RawQuiet →
//     Flying, unless the service is expected to speak first (t.Expect,
//     "SSH-" on port 22): then silence for the probe's timeout is Stalled
//     and data not starting as expected is Unrecognized; 200, then EOF →
//     BackendDown (pagekite.py); 200, then an
//     HTTP 503 "Sorry! (be" page inside the stream → BackendDown
//     (libpagekite). Flying is confirmed by the relay ping (a generic
//     proxy also answers CONNECT with 200).
//   - any other answer → Unrecognized; no answer → see failed.
func (p *Prober) probeRaw(ctx context.Context, t Target, res *Result) {
	dial := t.rawDialAddr()
	res.Relay = dial
	if t.Port <= 0 || t.Port > 65535 {
		res.Verdict, res.Detail = Unrecognized, fmt.Sprintf("raw probe of %s: bad port %d", t.Name, t.Port)
		return
	}
	relay := p.checkRelay(ctx, dial, res.Start)
	defer relay.close()
	c, err := p.connect(ctx, t, dial)
	if err != nil || ctx.Err() != nil {
		p.failed(ctx, res, dial, relay, err)
		return
	}
	res.Status = c.Status
	p.confirm(ctx, res, dial, relay, c.Classification)
}

// rawAnswer is what CONNECT got: the status and what it means.
type rawAnswer struct {
	Status int
	Classification
}

// errNotHTTP marks an answer to CONNECT that is not HTTP at all.
var errNotHTTP = errors.New("answer is not http")

// connect sends CONNECT through dial and sorts the answer.
func (p *Prober) connect(ctx context.Context, t Target, dial string) (rawAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	conn, err := oneshot.Dial(ctx, dial, nil)
	if err != nil {
		return rawAnswer{}, err
	}
	defer conn.Close()

	line := t.connectLine()
	if _, err := fmt.Fprintf(conn, "CONNECT %s HTTP/1.0\r\nUser-Agent: %s\r\n\r\n", line, p.opts.UserAgent); err != nil {
		return rawAnswer{}, err
	}
	// After a 200, the stream: afterConnect may look at maxStreamPeek
	// bytes of it.
	r := oneshot.NewReader(conn, MaxHeader, maxStreamPeek)
	defer r.Release()
	resp, err := r.ReadResponse(&http.Request{Method: http.MethodConnect})
	if errors.Is(err, errHeaderTooLong) {
		return rawAnswer{Classification: Classification{
			Verdict: Unrecognized, Detail: fmt.Sprintf("CONNECT %s: %v", line, err),
		}}, nil
	}
	if err != nil {
		if isTimeout(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isNetErr(err) {
			return rawAnswer{}, fmt.Errorf("connect %s: %w", line, err)
		}
		return rawAnswer{Classification: Classification{
			Verdict: Unrecognized,
			Detail:  fmt.Sprintf("CONNECT %s: %v: %v", line, errNotHTTP, err),
		}}, nil
	}
	defer resp.Body.Close()
	genuine := resp.Header.Get(headerUUID) != ""
	a := rawAnswer{Status: resp.StatusCode}
	switch resp.StatusCode {
	case http.StatusServiceUnavailable:
		a.Classification = Classification{KiteDown, fmt.Sprintf("CONNECT %s: %s", line, resp.Status), !genuine}
	case http.StatusOK:
		a.Classification = p.afterConnect(ctx, conn, r.Buffered(), line, t.expect())
	default:
		a.Classification = Classification{Unrecognized, fmt.Sprintf("CONNECT %s: %s", line, resp.Status), false}
	}
	return a, nil
}

// maxStreamPeek is how much of a raw kite's stream afterConnect reads at
// most, to tell a service's banner from libpagekite's in-stream 503 page.
const maxStreamPeek = 4 << 10

// afterConnect watches the tunnel after 200 Connection Established: data or
// silence → Flying, EOF → BackendDown, an HTTP 503 with libpagekite's
// "Sorry! (be" page → BackendDown.
func (p *Prober) afterConnect(ctx context.Context, conn net.Conn, br *bufio.Reader, line, expect string) Classification {
	begun := time.Now()
	quiet := begun.Add(p.opts.RawQuiet)
	if expect != "" {
		quiet = begun.Add(p.opts.Timeout) // wait for the banner
	}
	if dl, ok := ctx.Deadline(); ok && dl.Before(quiet) {
		quiet = dl
	}
	_ = conn.SetReadDeadline(quiet)
	_, err := br.Peek(1)
	switch {
	case err == nil && expect != "":
		return p.expected(br, line, expect)
	case err == nil:
		return p.streamData(br, line)
	case errors.Is(err, io.EOF):
		return Classification{BackendDown, fmt.Sprintf("CONNECT %s: 200, then EOF: the service behind the kite is down", line), false}
	case isTimeout(err) && expect != "":
		return Classification{Stalled, fmt.Sprintf("CONNECT %s: 200, then silence for %v where the service sends %q first: PageKite or the service looks frozen", line, time.Since(begun).Round(time.Millisecond), expect), false}
	case isTimeout(err):
		return Classification{Flying, fmt.Sprintf("CONNECT %s: 200, then silence for %v", line, p.opts.RawQuiet), true}
	default:
		return Classification{Unrecognized, fmt.Sprintf("CONNECT %s: 200, then %v", line, err), false}
	}
}

// streamData sorts the first data of an established raw tunnel: an HTTP
// answer there is sent by the kite, not by the service (which was sent
// nothing yet): libpagekite's 503 "Sorry! (be/...)" when the service is
// down. Anything else (an ssh banner) is the service: Flying. It reads at
// most what the stream's limit allows, until the read deadline.
func (p *Prober) streamData(br *bufio.Reader, line string) Classification {
	head, _ := br.Peek(min(len("HTTP/1."), br.Buffered()))
	if !bytes.HasPrefix([]byte("HTTP/1."), head) || len(head) == 0 {
		return Classification{Flying, fmt.Sprintf("CONNECT %s: 200, then data", line), true}
	}
	// Bounded by the LimitedReader under br and the read deadline.
	data, _ := io.ReadAll(br)
	_, be := offlineMarkers(data)
	if bytes.HasPrefix(data, []byte("HTTP/1.")) && be != "" && bytes.Contains(data[:min(len(data), 16)], []byte(" 503")) {
		return Classification{BackendDown, fmt.Sprintf("CONNECT %s: 200, then the kite's 503 %s page: the service behind the kite is down", line, be), false}
	}
	return Classification{Flying, fmt.Sprintf("CONNECT %s: 200, then data", line), true}
}

// expected sorts the first data of a tunnel whose service speaks first:
// its banner (starting with expect) is Flying; libpagekite's 503 page is
// BackendDown (streamData); anything else is Unrecognized.
func (p *Prober) expected(br *bufio.Reader, line, expect string) Classification {
	head, _ := br.Peek(min(len(expect), br.Buffered()))
	for len(head) < len(expect) { // the banner may come in pieces
		more, err := br.Peek(len(head) + 1)
		if err != nil {
			break
		}
		head = more
	}
	if string(head) == expect {
		return Classification{Flying, fmt.Sprintf("CONNECT %s: 200, then %q: the service answers", line, expect), true}
	}
	if c := p.streamData(br, line); c.Verdict == BackendDown {
		return c
	}
	return Classification{Unrecognized, fmt.Sprintf("CONNECT %s: 200, then data that does not start with %q", line, expect), false}
}

// isNetErr reports whether err is a network error (reset, refused).
func isNetErr(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}
