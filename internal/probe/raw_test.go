package probe

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// rawStandIn is a Go stand-in for a relay's CONNECT handling (used to get
// answers Debian's relay cannot be made to give: silence, garbage, a
// proxy's 200 without a relay ping). It answers plain-HTTP relay pings when
// ping is set, and CONNECT with answer(conn).
func rawStandIn(t *testing.T, ping bool, answer func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				// Bounded: ends at the deadline or when the test ends.
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				stop := context.AfterFunc(doneCtx(done), func() { c.Close() })
				defer stop()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				if req.Method == http.MethodConnect {
					answer(c)
					return
				}
				if ping {
					io.WriteString(c, "HTTP/1.1 503 Unavailable\r\nX-PageKite-UUID: "+testUUID+"\r\nConnection: close\r\n\r\n")
				} else {
					io.WriteString(c, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
				}
			}()
		}
	}()
	t.Cleanup(func() {
		close(done)
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// doneCtx is a context cancelled when done closes.
func doneCtx(done <-chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-done
		cancel()
	}()
	return ctx
}

// libpagekiteBE is the 503 page libpagekite sends inside an established
// raw tunnel when the local service is down (reference: "HTTPS and raw
// kites").
const libpagekiteBE = "HTTP/1.1 503 Unavailable\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n" +
	"<html><body><h1>Sorry! (be/lpk)</h1><p>The PageKite for <b>foo.kite.test</b> is unavailable at the moment.</p></body></html>"

// TestProbeRawExpect: a raw kite whose service speaks first (ssh on port
// 22 by default, or Target.Expect) is flying only when its banner comes;
// "200, then silence" for the probe's timeout is stalled (#19: a frozen
// PageKite keeps the relay's tunnel for ~150 s, and read as flying).
func TestProbeRawExpect(t *testing.T) {
	established := "HTTP/1.0 200 Connection Established\r\n\r\n"
	tests := []struct {
		name   string
		port   int
		expect string
		answer func(c net.Conn)
		want   Verdict
		detail string
	}{
		{"ssh banner", 22, "", func(c net.Conn) { io.WriteString(c, established+"SSH-2.0-OpenSSH_9.2\r\n") }, Flying, `"SSH-"`},
		{"ssh banner in pieces", 22, "", func(c net.Conn) {
			io.WriteString(c, established+"SS")
			time.Sleep(50 * time.Millisecond)
			io.WriteString(c, "H-2.0-x\r\n")
		}, Flying, `"SSH-"`},
		{"frozen: 200 then silence", 22, "", func(c net.Conn) {
			io.WriteString(c, established)
			_, _ = io.Copy(io.Discard, c)
		}, Stalled, "looks frozen"},
		{"another service on 22", 22, "", func(c net.Conn) {
			io.WriteString(c, established+"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}, Unrecognized, "does not start with"},
		{"libpagekite's 503", 22, "", func(c net.Conn) { io.WriteString(c, established+libpagekiteBE) }, BackendDown, "Sorry! (be)"},
		{"EOF", 22, "", func(c net.Conn) { io.WriteString(c, established) }, BackendDown, "then EOF"},
		{"smtp expected", 2525, "220 ", func(c net.Conn) { io.WriteString(c, established+"220 mail ESMTP\r\n") }, Flying, `"220 "`},
		{"smtp frozen", 2525, "220 ", func(c net.Conn) {
			io.WriteString(c, established)
			_, _ = io.Copy(io.Discard, c)
		}, Stalled, "looks frozen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := rawStandIn(t, true, tt.answer)
			o := shortOpts()
			got := New(o).Probe(context.Background(), Target{Name: "foo.kite.test", Kind: KindRaw, Port: tt.port, Expect: tt.expect, ConnectTo: addr})
			if got.Verdict != tt.want || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("Probe(raw, %s) = %s %q, want %s with %q", tt.name, got.Verdict, got.Detail, tt.want, tt.detail)
			}
			if max := o.Timeout + time.Second; got.Duration > max {
				t.Errorf("Probe(raw, %s) took %v, want at most %v", tt.name, got.Duration, max)
			}
		})
	}
}

func TestProbeRawStandIns(t *testing.T) {
	established := "HTTP/1.0 200 Connection Established\r\n\r\n"
	tests := []struct {
		name   string
		ping   bool
		answer func(c net.Conn)
		want   Verdict
		detail string
	}{
		{"503 from a relay", true, func(c net.Conn) { io.WriteString(c, "HTTP/1.0 503 Unavailable\r\n\r\n") }, KiteDown, "503"},
		{"503 from no relay", false, func(c net.Conn) { io.WriteString(c, "HTTP/1.0 503 Unavailable\r\n\r\n") }, Unrecognized, "not a PageKite relay"},
		{"200 and a banner at once", true, func(c net.Conn) { io.WriteString(c, established+"SSH-2.0-OpenSSH_9.2\r\n") }, Flying, "then data"},
		{"200, banner later", true, func(c net.Conn) {
			io.WriteString(c, established)
			time.Sleep(50 * time.Millisecond)
			io.WriteString(c, "SSH-2.0-OpenSSH_9.2\r\n")
		}, Flying, "then data"},
		{"200 then EOF", true, func(c net.Conn) { io.WriteString(c, established) }, BackendDown, "then EOF"},
		// libpagekite (pagekitec) when the local service is down: the
		// tunnel is established, then the kite sends its 503 page in it.
		{"200 then libpagekite's 503 in the stream", true, func(c net.Conn) {
			io.WriteString(c, established+libpagekiteBE)
		}, BackendDown, "Sorry! (be)"},
		{"200 then libpagekite's 503, stream kept open", true, func(c net.Conn) {
			io.WriteString(c, established+libpagekiteBE)
			_, _ = io.Copy(io.Discard, c)
		}, BackendDown, "Sorry! (be)"},
		{"200 then an HTTP 200 in the stream is the service", true, func(c net.Conn) {
			io.WriteString(c, established+"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}, Flying, "then data"},
		{"endless CONNECT answer header", true, func(c net.Conn) {
			io.WriteString(c, "HTTP/1.0 503 Unavailable\r\nX-Junk: ")
			junk := strings.Repeat("a", 4096)
			for i := 0; i < 1024; i++ { // 4 MiB at most
				if _, err := io.WriteString(c, junk); err != nil {
					return
				}
			}
		}, Unrecognized, "headers longer than"},
		{"200 then silence", true, func(c net.Conn) {
			io.WriteString(c, established)
			_, _ = io.Copy(io.Discard, c) // until the prober hangs up
		}, Flying, "silence"},
		{"200 from a proxy", false, func(c net.Conn) { io.WriteString(c, established+"SSH-2.0-x\r\n") }, Unrecognized, "not a PageKite relay"},
		{"407 from a proxy", false, func(c net.Conn) { io.WriteString(c, "HTTP/1.0 407 Proxy Authentication Required\r\n\r\n") }, Unrecognized, "407"},
		{"garbage", true, func(c net.Conn) { io.WriteString(c, "SSH-2.0-OpenSSH_9.2\r\n") }, Unrecognized, "not http"},
		{"silence, relay pings", true, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }, Stalled, "no answer within"},
		{"closed at once", false, func(c net.Conn) {}, Unreachable, "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := rawStandIn(t, tt.ping, tt.answer)
			o := shortOpts()
			// Port 2222: a service that need not speak first (see
			// TestProbeRawExpect for port 22 and expect).
			got := New(o).Probe(context.Background(), Target{Name: "foo.kite.test", Kind: KindRaw, Port: 2222, ConnectTo: addr})
			t.Logf("Probe(%s) = %s %q in %v", tt.name, got.Verdict, got.Detail, got.Duration)
			if got.Verdict != tt.want || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("Probe(raw, %s) = %s %q, want %s with %q", tt.name, got.Verdict, got.Detail, tt.want, tt.detail)
			}
			if got.Relay != addr {
				t.Errorf("Probe(raw, %s).Relay = %q, want %q", tt.name, got.Relay, addr)
			}
			if max := 2*o.Timeout + time.Second; got.Duration > max {
				t.Errorf("Probe(raw, %s) took %v, want at most %v", tt.name, got.Duration, max)
			}
		})
	}
}

func TestProbeRawErrors(t *testing.T) {
	tests := []struct {
		name   string
		target Target
		want   Verdict
		detail string
	}{
		{"refused", Target{Name: "foo.kite.test", Kind: KindRaw, Port: 22, ConnectTo: closedAddr(t)}, Unreachable, "refused"},
		{"black hole", Target{Name: "foo.kite.test", Kind: KindRaw, Port: 22, ConnectTo: pktest.BlackHole(t, "127.0.0.1")}, Unreachable, "no answer within"},
		{"bad port", Target{Name: "foo.kite.test", Kind: KindRaw, Port: 0, ConnectTo: "127.0.0.1:1"}, Unrecognized, "bad port"},
		{"unknown kind", Target{Name: "foo.kite.test", Kind: "gopher"}, Unrecognized, "unknown probe kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New(shortOpts()).Probe(context.Background(), tt.target)
			if got.Verdict != tt.want || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("Probe(%s) = %s %q, want %s with %q", tt.name, got.Verdict, got.Detail, tt.want, tt.detail)
			}
		})
	}
}

func TestProbeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, target := range []Target{
		{Name: "foo.kite.test", URL: "http://foo.kite.test/", ConnectTo: pktest.BlackHole(t, "127.0.0.1")},
		{Name: "foo.kite.test", Kind: KindRaw, Port: 22, ConnectTo: pktest.BlackHole(t, "127.0.0.1")},
	} {
		got := New(shortOpts()).Probe(ctx, target)
		if got.Verdict != Unreachable || !strings.Contains(got.Detail, "cancelled") {
			t.Errorf("Probe(cancelled ctx, %s) = %s %q, want unreachable, cancelled", target.Kind, got.Verdict, got.Detail)
		}
	}
}
