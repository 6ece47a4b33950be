package pktest

import (
	"net"
	"sync"
	"testing"
)

// BlackHole listens on ip (a loopback address such as "127.0.0.1" or
// "127.0.0.2") and accepts connections that it never answers: a relay or
// server that hangs. It returns the address; the listener and every
// accepted connection are closed when the test ends.
func BlackHole(t testing.TB, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("black hole: listen on %s: %v", ip, err)
	}
	var (
		mu    sync.Mutex // guards conns
		conns []net.Conn
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}
