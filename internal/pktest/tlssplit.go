package pktest

import (
	"bufio"
	"net"
	"time"
)

// AlertRecord is a fatal TLS alert record, description 49 (access
// denied): what a PageKite relay answers a ClientHello for a name it has
// no tunnel and no certificate for.
var AlertRecord = []byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 49}

// SplitTLS wraps ln for relay stand-ins that, like a PageKite relay, serve
// TLS and plain HTTP on one port, telling them apart by the first byte
// (0x16 opens a TLS handshake). Each new connection is sorted in a
// goroutine of its own (its first byte awaited at most 5 s): a TLS one is
// handed to hello, a plain one to plain (nil: accepted as it is). Each
// returns the connection Accept should hand on (tls.Server over it, say),
// or nil when it answered the connection itself and closed it. The first
// byte is kept for whoever reads the connection.
func SplitTLS(ln net.Listener, hello, plain func(net.Conn) net.Conn) net.Listener {
	s := &splitListener{Listener: ln, conns: make(chan net.Conn), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.sort(c, hello, plain)
		}
	}()
	return s
}

type splitListener struct {
	net.Listener
	conns chan net.Conn
	done  chan struct{} // closed when ln stopped accepting
}

func (l *splitListener) sort(c net.Conn, hello, plain func(net.Conn) net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	first, err := br.Peek(1)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	var pc net.Conn = &peekedConn{Conn: c, r: br}
	switch {
	case first[0] == 0x16:
		pc = hello(pc)
	case plain != nil:
		pc = plain(pc)
	}
	if pc == nil {
		return
	}
	select {
	case l.conns <- pc:
	case <-l.done:
		pc.Close()
	}
}

// Accept returns the next sorted connection.
func (l *splitListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// peekedConn is a net.Conn whose first bytes were peeked into r.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(b []byte) (int, error) { return c.r.Read(b) }
