package oneshot

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startServer runs Serve with l on a loopback listener and h; it returns
// the address. The server ends with the test, and the test checks that it
// returned nil.
func startServer(t *testing.T, h http.Handler, l Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h, l) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve() after cancel = %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve() did not return within 10s of cancel")
		}
	})
	return ln.Addr().String()
}

// roundTrip sends raw on a new connection and returns everything the
// server sent back until it closed (within 5 s).
func roundTrip(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the answer: %v (got %q)", err, b)
	}
	return string(b)
}

var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "hello "+r.URL.Path)
})

func TestServeAnswers(t *testing.T) {
	addr := startServer(t, hello, Limits{})
	tests := []struct {
		name, req  string
		wantStatus string
		wantBody   string
	}{
		{"get", "GET /x HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200 OK", "hello /x"},
		{"head has no body", "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200 OK", ""},
		{"http/1.0", "GET /y HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK", "hello /y"},
		{"garbage", "NOT HTTP\r\n\r\n", "HTTP/1.1 400 Bad Request", "bad request\n"},
		{"cut short", "GET /x HTTP/1.1\r\nHost:", "HTTP/1.1 400 Bad Request", "bad request\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := net.Dial("tcp", addr)
			if c == nil {
				t.Fatal("dial failed")
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.WriteString(c, tt.req)
			if tt.name == "cut short" {
				_ = c.(*net.TCPConn).CloseWrite()
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: strings.Fields(tt.req)[0]})
			if err != nil {
				t.Fatalf("ReadResponse() error = %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("reading the body: %v", err)
			}
			if got := resp.Proto + " " + resp.Status; got != tt.wantStatus {
				t.Errorf("status = %q, want %q", got, tt.wantStatus)
			}
			if string(body) != tt.wantBody {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
			if !resp.Close {
				t.Errorf("answer without Connection: close")
			}
		})
	}
}

func TestServeBoundsRequests(t *testing.T) {
	addr := startServer(t, hello, Limits{MaxRequest: 1 << 10, ReadTimeout: 200 * time.Millisecond})
	// Headers without end: read up to MaxRequest, then 400.
	begun := time.Now()
	got := roundTrip(t, addr, "GET / HTTP/1.1\r\nX-Junk: "+strings.Repeat("a", 64<<10))
	if !strings.HasPrefix(got, "HTTP/1.1 400 ") {
		t.Errorf("answer to endless headers = %.60q, want a 400", got)
	}
	// A client that sends nothing is cut after ReadTimeout, unanswered:
	// an answer would cost a flood's every connection a write and a linger.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("silent client: reading: %v", err)
	}
	if d := time.Since(begun); d > 3*time.Second {
		t.Errorf("silent client cut after %v, want about the 200ms read timeout", d)
	}
	if len(b) != 0 {
		t.Errorf("answer to a silent client = %q, want none (closed unanswered)", b)
	}
	// So is one that sends its request too slowly (slowloris).
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	_ = slow.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(slow, "GET / HTTP/1.1\r\nHost: a\r\n")
	if b, err := io.ReadAll(slow); err != nil || len(b) != 0 {
		t.Errorf("answer to a slow client = %q, %v; want none (closed unanswered)", b, err)
	}
}

func TestServeLimitsConnections(t *testing.T) {
	// One slot, taken by a handler that takes 300ms: a second request is
	// read at once but answered only once the slot is free.
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/first" {
			time.Sleep(300 * time.Millisecond)
		}
		hello(w, r)
	})
	addr := startServer(t, slow, Limits{MaxConns: 1})
	first := make(chan string, 1)
	go func() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			first <- err.Error()
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(c, "GET /first HTTP/1.1\r\nHost: a\r\n\r\n")
		b, _ := io.ReadAll(c)
		first <- string(b)
	}()
	time.Sleep(50 * time.Millisecond) // let the first take the slot
	begun := time.Now()
	got := roundTrip(t, addr, "GET /second HTTP/1.1\r\nHost: a\r\n\r\n")
	if !strings.Contains(got, "hello /second") {
		t.Errorf("second request = %q, want it answered", got)
	}
	if d := time.Since(begun); d < 150*time.Millisecond {
		t.Errorf("second request answered after %v, want it to wait for the slot (~250ms)", d)
	}
	if f := <-first; !strings.Contains(f, "hello /first") {
		t.Errorf("first request = %q", f)
	}
}

// TestServeUnderFlood: 300 slowloris clients (a header byte every 200ms)
// and 3000 idle connections do not keep a prompt request waiting (#23:
// 9-12 s, past Prometheus' 10 s timeout): it is answered within 1 s.
func TestServeUnderFlood(t *testing.T) {
	addr := startServer(t, hello, Limits{})
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	stop := make(chan struct{})
	defer close(stop)
	for i := 0; i < 300; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		go func() { // slowloris, bounded: until the test ends or 30 s
			_, _ = io.WriteString(c, "GET / HTTP/1.1\r\n")
			for i := 0; i < 150; i++ {
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
				if _, err := io.WriteString(c, "X"); err != nil {
					return
				}
			}
		}()
	}
	for i := 0; i < 3000; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	for i := 0; i < 3; i++ {
		begun := time.Now()
		got := roundTrip(t, addr, "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
		took := time.Since(begun)
		if !strings.Contains(got, "hello /metrics") || took > time.Second {
			t.Errorf("scrape %d under flood: %v, %.40q; want an answer within 1s", i, took, got)
		}
		t.Logf("scrape %d under flood: %v", i, took)
	}
}

func TestServeStopsWithHungHandler(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	hung := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		entered <- struct{}{}
		<-release
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, hung, Limits{StopTimeout: 200 * time.Millisecond}) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("handler not entered")
	}
	cancel()
	// The handler never returns by itself: Serve waits StopTimeout, cuts
	// the connection, and still waits for the handler; release it once
	// Serve has had the time to cut.
	time.AfterFunc(500*time.Millisecond, func() { close(release) })
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve() = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve() did not return")
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Errorf("listener still accepts after Serve returned")
	}
}

// TestServeCutsTheOldestPending: past MaxPending waiting connections, a
// new one cuts the oldest at once (closed unanswered), well before its
// ReadTimeout; the newer ones still get their answer.
func TestServeCutsTheOldestPending(t *testing.T) {
	addr := startServer(t, hello, Limits{MaxPending: 2, ReadTimeout: 5 * time.Second})
	var conns []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
		time.Sleep(20 * time.Millisecond) // in this order
	}
	begun := time.Now()
	_ = conns[0].SetDeadline(time.Now().Add(3 * time.Second))
	b, err := io.ReadAll(conns[0])
	if err != nil || len(b) != 0 || time.Since(begun) > time.Second {
		t.Errorf("oldest pending: read %q, %v after %v; want closed unanswered at once", b, err, time.Since(begun))
	}
	for _, c := range conns[1:] {
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		_, _ = io.WriteString(c, "GET /kept HTTP/1.1\r\nHost: a\r\n\r\n")
		if b, _ := io.ReadAll(c); !strings.Contains(string(b), "hello /kept") {
			t.Errorf("a newer pending connection got %q, want its answer", b)
		}
	}
}

// TestServeCutsIdleFirst: past MaxPending, the connection cut is the
// oldest that sent nothing, not an older one whose request waits unread
// (its goroutine not run yet, as in a burst of hundreds: #30, a scrape
// cut with a reset); else the slowest; else one with an unfinished
// request head waiting; a request that began only now is not slow; with
// every one of them prompt, the newest.
func TestServeCutsIdleFirst(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// Server-side connections that nothing reads, as admit sees them.
	accept := func(request string) net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		sc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sc.Close() })
		if request != "" {
			if _, err := io.WriteString(c, request); err != nil {
				t.Fatal(err)
			}
		}
		return sc
	}
	scrape, idle, scrape2 := accept("GET /metrics HTTP/1.1\r\n\r\n"), accept(""), accept("GET / HTTP/1.1\nHost: a\n\n")
	partial := accept("GET /metrics HTTP/1.1\r\nHost: a\r\n")
	// Connections whose goroutine has read what came (nothing waits): a
	// prompt request being parsed right now, and a slowloris whose request
	// began long ago.
	reading, slow := accept(""), accept("")
	now := time.Now()
	began := map[net.Conn]time.Time{reading: now, slow: now.Add(-2 * time.Second)}
	// The bytes sent must have arrived before the peek.
	time.Sleep(50 * time.Millisecond)
	for _, tt := range []struct {
		name    string
		pending []net.Conn
		want    int
	}{
		{"request waits in the oldest", []net.Conn{scrape, idle, scrape2}, 1},
		{"oldest idle", []net.Conn{idle, scrape, scrape2}, 0},
		{"every one waits", []net.Conn{scrape, scrape2}, 1},
		{"idle before a slow one", []net.Conn{reading, slow, idle}, 2},
		{"the slowest, not the one being read", []net.Conn{reading, scrape, slow}, 2},
		{"slow before unfinished", []net.Conn{partial, slow, scrape}, 1},
		{"unfinished before prompt", []net.Conn{scrape, partial, scrape2}, 1},
		{"unfinished before one being read", []net.Conn{reading, partial}, 1},
		{"one being read before prompt ones", []net.Conn{scrape, reading, scrape2}, 1},
	} {
		began[reading] = time.Now() // being read now, however long the test took
		s := &server{pending: tt.pending, began: began}
		if got := s.idlestLocked(); got != tt.want {
			t.Errorf("%s: idlestLocked() = %d, want %d", tt.name, got, tt.want)
		}
	}
	// Past the scanned oldest, only the newest is looked at: an idle one
	// there is cut before prompt ones.
	var many []net.Conn
	for range cutScan {
		many = append(many, scrape)
	}
	s := &server{pending: append(many, scrape2, idle), began: began}
	if got := s.idlestLocked(); got != cutScan+1 {
		t.Errorf("prompt oldest, idle newest: idlestLocked() = %d, want %d", got, cutScan+1)
	}
}
