package oneshot

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDialCancelUnblocks: a read on a connection whose context is
// cancelled returns at once, whatever the peer does.
func TestDialCancelUnblocks(t *testing.T) {
	addr := serveOnce(t, func(c net.Conn) {
		time.Sleep(5 * time.Second) // never answers
	})
	ctx, cancel := context.WithCancel(context.Background())
	c, err := Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.AfterFunc(100*time.Millisecond, cancel)
	begun := time.Now()
	_, err = c.Read(make([]byte, 1))
	if err == nil || time.Since(begun) > 2*time.Second {
		t.Errorf("Read after cancel = %v after %v, want an error at once", err, time.Since(begun))
	}
}

// TestDialTLSFailure: a TLS handshake with a peer that is not TLS fails
// with the handshake's error and leaves nothing open.
func TestDialTLSFailure(t *testing.T) {
	addr := serveOnce(t, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.0 400 Bad Request\r\n\r\n")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, &tls.Config{ServerName: "x.test"})
	if err == nil {
		c.Close()
		t.Fatal("Dial(TLS to a plain server) = nil error")
	}
}

// TestReaderBounds: headers past maxHeader fail with ErrHeaderTooLong; a
// body is read up to maxBody.
func TestReaderBounds(t *testing.T) {
	req := &http.Request{Method: http.MethodGet}
	long := "HTTP/1.1 200 OK\r\nX-Junk: " + strings.Repeat("a", 8<<10) + "\r\n\r\n"
	_, err := NewReader(strings.NewReader(long), 4<<10, 100).ReadResponse(req)
	if !errors.Is(err, ErrHeaderTooLong) || !strings.Contains(err.Error(), "4 KiB") {
		t.Errorf("ReadResponse(8 KiB of headers, 4 KiB allowed) error = %v, want ErrHeaderTooLong saying 4 KiB", err)
	}
	// A body longer than both allowances together: what is read must stop
	// at them.
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 16384\r\n\r\n" + strings.Repeat("b", 16384)
	resp, err := NewReader(strings.NewReader(ok), 4<<10, 100).ReadResponse(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	// The headers' unused allowance may be read too, never more.
	if len(body) > 100+(4<<10) || len(body) < 100 {
		t.Errorf("body read = %d bytes, want at least 100 and at most what is allowed", len(body))
	}
}

// serveOnce listens on loopback, hands the first connection to serve and
// closes it after; the listener ends with the test. It returns the address.
func serveOnce(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	return ln.Addr().String()
}
