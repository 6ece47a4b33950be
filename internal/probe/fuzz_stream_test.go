package probe

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// streamRelay is a relay stand-in for FuzzProbeStream: a genuine ping, a
// TLS alert 49 to every ClientHello, and *answer, byte for byte, to every
// other request (HTTP or CONNECT), then close. One serves a whole fuzz
// run: a listener per input would use up the loopback ports in TIME_WAIT.
func streamRelay(t testing.TB, answer *atomic.Pointer[[]byte]) string {
	t.Helper()
	return serveTCP(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		first, err := br.Peek(1)
		if err != nil {
			return
		}
		if first[0] == recordHandshake {
			_, _ = c.Write([]byte{recordAlert, 0x03, 0x01, 0x00, 0x02, 0x02, 49})
			return
		}
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if req.Host == "ping.pagekite" {
			_, _ = io.WriteString(c, "HTTP/1.1 503 Unavailable\r\nX-PageKite-UUID: "+testUUID+"\r\nConnection: close\r\n\r\n")
			return
		}
		_, _ = c.Write(*answer.Load())
	})
}

// unambiguous reports whether answer carries a marker that lets a relay
// say "not connected" on the probe path of mode: Down-FE anywhere for every
// mode; the offline page's markers for a plain http kite; a 503 status
// line for a raw kite.
func unambiguous(mode byte, answer []byte) bool {
	low := bytes.ToLower(answer)
	if bytes.Contains(low, []byte("down-fe")) {
		return true
	}
	switch mode % 4 {
	case 0:
		return bytes.Contains(low, []byte("sorry! (fe")) || bytes.Contains(low, []byte("where=fe"))
	case 3:
		line, _, _ := bytes.Cut(answer, []byte("\n"))
		return bytes.Contains(line, []byte("503"))
	}
	return false
}

// FuzzProbeStream: for any byte stream a relay sends back on the probe's
// path, the verdict is never kite-down unless the stream holds an
// unambiguous not-connected marker. Modes: 0 a plain http kite, 1 an https
// kite (the relay sends TLS alert 49, then the stream to plain HTTP), 2 an
// HTTPS-only kite over plain HTTP, 3 a raw kite (CONNECT).
func FuzzProbeStream(f *testing.F) {
	seeds := [][]byte{
		[]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
		[]byte("HTTP/1.1 200 OK\r\nX-PageKite-Status: Down-FE\r\n\r\n{}"),
		[]byte("HTTP/1.1 503 Unavailable\r\n\r\n<h1>Sorry! (fe)</h1>"),
		[]byte("HTTP/1.1 503 Unavailable\r\n\r\n<h1>Sorry! (be)</h1>"),
		[]byte("HTTP/1.0 503 Unavailable\r\n\r\n"),
		[]byte("HTTP/1.0 200 Connection Established\r\n\r\nSSH-2.0-x\r\n"),
		{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 49},
		{},
		[]byte("garbage"),
	}
	for _, s := range seeds {
		for mode := byte(0); mode < 4; mode++ {
			f.Add(mode, s)
		}
	}
	p := New(Options{Timeout: 2 * time.Second, RawQuiet: 50 * time.Millisecond, RelayCacheTTL: -1})
	var current atomic.Pointer[[]byte]
	current.Store(&[]byte{})
	addr := streamRelay(f, &current)
	f.Fuzz(func(t *testing.T, mode byte, answer []byte) {
		current.Store(&answer)
		target := Target{Name: "foo.kite.test", ConnectTo: addr}
		switch mode % 4 {
		case 1:
			target.URL = "https://foo.kite.test/"
		case 2:
			target.HTTPSOnly = true
		case 3:
			target.Kind, target.Port = KindRaw, 22
		}
		got := p.Probe(context.Background(), target)
		if !got.Verdict.Valid() {
			t.Fatalf("mode %d, answer %q: verdict %q is not valid", mode%4, answer, got.Verdict)
		}
		if got.Verdict == KiteDown && !unambiguous(mode, answer) {
			t.Fatalf("mode %d, answer %q: kite-down (%s) without a not-connected marker", mode%4, answer, got.Detail)
		}
	})
}
