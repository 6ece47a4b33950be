package oneshot

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestListenDefersIdle: on Listen's listener, a connection whose client
// sent nothing is not accepted before about DeferAccept, while one whose
// request came is accepted at once, even though it connected later.
func TestListenDefersIdle(t *testing.T) {
	ln, warn, err := Listen(t.Context(), "127.0.0.1:0")
	if err != nil || warn != nil {
		t.Fatalf("Listen() = %v, %v", warn, err)
	}
	defer ln.Close()
	idle, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	prompt, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer prompt.Close()
	if _, err := io.WriteString(prompt, "GET / HTTP/1.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	begun := time.Now()
	_ = ln.(*net.TCPListener).SetDeadline(begun.Add(5 * time.Second))
	var order []string
	var idleAfter time.Duration
	for range 2 {
		c, err := ln.Accept()
		if err != nil {
			t.Fatalf("Accept() = %v after %v (accepted %v)", err, time.Since(begun), order)
		}
		defer c.Close()
		switch c.RemoteAddr().String() {
		case prompt.LocalAddr().String():
			order = append(order, "prompt")
		case idle.LocalAddr().String():
			order = append(order, "idle")
			idleAfter = time.Since(begun)
		}
	}
	if len(order) != 2 || order[0] != "prompt" || idleAfter < DeferAccept*3/4 {
		t.Errorf("accepted %v, the idle one after %v; want the prompt one first and the idle one after about %v", order, idleAfter, DeferAccept)
	}
}
