package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/pagekite/pkwatchdogd/internal/oneshot"
)

// MaxHeader bounds what a probe reads of an answer before its body: the
// status line and every header together. A PageKite relay's answers
// carry well under 1 KiB of it.
const MaxHeader = 32 << 10

// errHeaderTooLong: the answer's status line and headers did not end
// within MaxHeader bytes.
var errHeaderTooLong = oneshot.ErrHeaderTooLong

// tlsAnswer is the error for an answer to a plain-HTTP request that is a
// TLS record: what a kite with only an HTTPS service sends back (its
// TLS layer answers, alert 49 when the local HTTPS server is down).
type tlsAnswer struct {
	// alert is the alert's description (49: access denied), -1 when the
	// record is not an alert or was cut short.
	alert int
}

func (e *tlsAnswer) Error() string {
	if e.alert >= 0 {
		return fmt.Sprintf("the answer to plain HTTP is a TLS alert %d", e.alert)
	}
	return "the answer to plain HTTP is TLS"
}

// Record types that begin a TLS answer.
const (
	recordAlert     = 0x15
	recordHandshake = 0x16
)

// exchange sends req over a new connection to dial (TLS with tc when tc is
// not nil) and reads the answer, at most MaxBody bytes of body, then closes
// the connection. Requests go out with "Connection: close": a PageKite relay
// closes the connection after each answer anyway, and each probe tests the
// path afresh.
//
// It does the job of an http.Client with keep-alives off, proxies off and no
// redirects followed, without a Transport (package oneshot): about a
// quarter less user CPU per probe, measured on the daemon watching 100
// kites.
//
// Errors are those of the dial, the TLS handshake, the write or the read,
// unwrapped (a timeout satisfies isTimeout; a TLS alert, isTLSFailure);
// errHeaderTooLong when the headers pass MaxHeader; a *tlsAnswer when a
// plain request got TLS back. A body cut short still returns the answer
// with what was read. Whatever answers, at most MaxHeader+MaxBody bytes
// are read.
func (p *Prober) exchange(ctx context.Context, req *http.Request, dial string, tc *tls.Config) (Answer, error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	conn, err := oneshot.Dial(ctx, dial, tc)
	if err != nil {
		return Answer{}, err
	}
	defer conn.Close()
	req.Close = true
	if err := oneshot.WriteRequest(conn, req); err != nil {
		return Answer{}, fmt.Errorf("send request: %w", err)
	}
	return readReply(conn, req, tc == nil)
}

// readReply reads the answer to req from conn: at most MaxHeader bytes
// up to the body, then at most MaxBody of body. plain says req went out
// without TLS, so that a TLS record back is a *tlsAnswer.
func readReply(conn io.Reader, req *http.Request, plain bool) (Answer, error) {
	r := oneshot.NewReader(conn, MaxHeader, MaxBody)
	defer r.Release()
	if plain {
		if err := notTLS(r.Buffered()); err != nil {
			return Answer{}, err
		}
	}
	resp, err := r.ReadResponse(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	// A body cut short (timeout, reset) still leaves status and headers,
	// which are what matter most.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// notTLS returns a *tlsAnswer when the answer waiting in br begins with a
// TLS record, or with one printed as a Python bytes literal; nil otherwise
// (including when nothing can be read: the HTTP parser reports that).
func notTLS(br *bufio.Reader) error {
	first, err := br.Peek(1)
	if err != nil {
		return nil
	}
	switch first[0] {
	case recordAlert, recordHandshake:
		// An alert record is 5 bytes of header, then level and description.
		rec, _ := br.Peek(min(7, br.Buffered()))
		return recordAnswer(rec)
	case 'b':
		head, _ := br.Peek(min(maxPrinted, br.Buffered()))
		if rec, ok := printedRecord(head); ok {
			return recordAnswer(rec)
		}
	}
	return nil
}

// recordAnswer is the *tlsAnswer of the TLS record rec begins with.
func recordAnswer(rec []byte) *tlsAnswer {
	ta := &tlsAnswer{alert: -1}
	if len(rec) >= 7 && rec[0] == recordAlert {
		ta.alert = int(rec[6])
	}
	return ta
}

// maxPrinted bounds what printedRecord looks at.
const maxPrinted = 64

// printedRecord decodes a TLS record that Debian's pagekite 1.5.2 (under
// Python 3) sends as the text of a Python bytes literal, e.g.
// b'\x15\x03\x03\x00\x02\x021' for alert 49: what a connected kite
// whose local HTTPS server is down answers, measured with Debian's kite
// behind Debian's and PyPagekite 1.5.2.260113's relays. ok is false for
// anything else.
func printedRecord(b []byte) ([]byte, bool) {
	if len(b) < 4 || b[0] != 'b' || b[1] != '\'' || b[2] != '\\' || b[3] != 'x' {
		return nil, false
	}
	var out []byte
	for i := 2; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\'':
			return out, len(out) > 0 && (out[0] == recordAlert || out[0] == recordHandshake)
		case c == '\\' && i+3 < len(b) && b[i+1] == 'x':
			v, err := strconv.ParseUint(string(b[i+2:i+4]), 16, 8)
			if err != nil {
				return nil, false
			}
			out = append(out, byte(v))
			i += 3
		case c == '\\' && i+1 < len(b):
			e := b[i+1]
			switch e {
			case 'n':
				e = '\n'
			case 'r':
				e = '\r'
			case 't':
				e = '\t'
			}
			out = append(out, e)
			i++
		case c >= 0x20 && c < 0x7f:
			out = append(out, c)
		default:
			return nil, false
		}
	}
	return nil, false
}

// isPrintedAlert reports whether err is a TLS handshake that got back a
// record printed as a Python bytes literal (see printedRecord) instead of
// a record: the kite answered, not the relay.
func isPrintedAlert(err error) bool {
	var rhe tls.RecordHeaderError
	if !errors.As(err, &rhe) {
		return false
	}
	h := rhe.RecordHeader
	return h[0] == 'b' && h[1] == '\'' && h[2] == '\\' && h[3] == 'x' && h[4] == '1'
}

// asTLSAnswer returns the *tlsAnswer in err's chain, or nil.
func asTLSAnswer(err error) *tlsAnswer {
	var ta *tlsAnswer
	if errors.As(err, &ta) {
		return ta
	}
	return nil
}
