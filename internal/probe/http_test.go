package probe

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// shortOpts are Options for tests against Go sockets, which answer at once.
func shortOpts() Options {
	return Options{Timeout: 500 * time.Millisecond, UserAgent: "pkwatchdogd-test", RawQuiet: 200 * time.Millisecond}
}

// closedAddr is an address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// hang answers nothing until the request's context ends (the client gave
// up) or the test ends.
func hang(done <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	})
}

func TestProbeHTTPStandIns(t *testing.T) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	cert, pool := selfSigned(t, "foo.kite.test")
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}}
	originAnswer := serveAnswer(t, "origin-404.http")

	tests := []struct {
		name   string
		target func(t *testing.T) Target
		opts   func(o *Options)
		want   Verdict
		detail string
	}{
		{
			name: "flying over http",
			target: func(t *testing.T) Target {
				s := startStandIn(t, standInOptions{Ping: true, Handler: originAnswer})
				return Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", ConnectTo: s.Addr}
			},
			want: Flying, detail: "origin answered 404",
		},
		{
			name: "flying over https, verified",
			target: func(t *testing.T) Target {
				s := startStandIn(t, standInOptions{Ping: true, TLS: tlsConf, Handler: originAnswer})
				return Target{Name: "foo.kite.test", URL: "https://foo.kite.test/", ConnectTo: s.Addr}
			},
			opts: func(o *Options) { o.RootCAs = pool },
			want: Flying, detail: "origin answered 404",
		},
		{
			name: "https with an untrusted certificate",
			target: func(t *testing.T) Target {
				s := startStandIn(t, standInOptions{Ping: true, TLS: tlsConf, Handler: originAnswer})
				return Target{Name: "foo.kite.test", URL: "https://foo.kite.test/", ConnectTo: s.Addr}
			},
			want: Unreachable, detail: "TLS",
		},
		{
			name: "https with an untrusted certificate, InsecureSkipVerify",
			target: func(t *testing.T) Target {
				s := startStandIn(t, standInOptions{Ping: true, TLS: tlsConf, Handler: originAnswer})
				return Target{Name: "foo.kite.test", URL: "https://foo.kite.test/", ConnectTo: s.Addr}
			},
			opts: func(o *Options) { o.InsecureSkipVerify = true },
			want: Flying,
		},
		{
			name: "Down-FE from a genuine relay",
			target: func(t *testing.T) Target {
				s := startStandIn(t, standInOptions{Ping: true, Handler: serveAnswer(t, "fe-probejson.http")})
				return Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", ConnectTo: s.Addr}
			},
			want: KiteDown, detail: "Down-FE",
		},
		{
			name: "Down-FE from something whose ping has no UUID",
			target: func(t *testing.T) Target {
				s := startStandIn(t, standInOptions{Ping: false, Handler: serveAnswer(t, "fe-probejson.http")})
				return Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", ConnectTo: s.Addr}
			},
			want: Unrecognized, detail: "not a PageKite relay",
		},
		{
			name: "white-label offline frame",
			target: func(t *testing.T) Target {
				s := startStandIn(t, standInOptions{Ping: true, Handler: serveAnswer(t, "fe-whitelabel.http")})
				return Target{Name: "shop.example.com", URL: "http://shop.example.com/", ConnectTo: s.Addr}
			},
			want: KiteDown, detail: "where=FE",
		},
		{
			name: "backend down, libpagekite page",
			target: func(t *testing.T) Target {
				s := startStandIn(t, standInOptions{Ping: true, Handler: serveAnswer(t, "be-libpagekite.http")})
				return Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", ConnectTo: s.Addr}
			},
			want: BackendDown, detail: "where=BE",
		},
		{
			name: "relay refuses with 403 where=FE",
			target: func(t *testing.T) Target {
				s := startStandIn(t, standInOptions{Ping: true, Handler: serveAnswer(t, "forbidden-fe.http")})
				return Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", ConnectTo: s.Addr}
			},
			want: Unrecognized, detail: "403",
		},
		{
			name: "captive portal",
			target: func(t *testing.T) Target {
				s := startStandIn(t, standInOptions{Ping: false, Handler: serveAnswer(t, "captive-portal.http")})
				return Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", ConnectTo: s.Addr}
			},
			want: Unrecognized, detail: "not a PageKite relay",
		},
		{
			name: "proxy 502",
			target: func(t *testing.T) Target {
				s := startStandIn(t, standInOptions{Ping: false, Handler: serveAnswer(t, "proxy-502.http")})
				return Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", ConnectTo: s.Addr}
			},
			want: Unrecognized, detail: "origin answered 502",
		},
		{
			name: "redirect is the origin's answer",
			target: func(t *testing.T) Target {
				s := startStandIn(t, standInOptions{Ping: true, Handler: serveAnswer(t, "origin-redirect.http")})
				return Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", ConnectTo: s.Addr}
			},
			want: Flying, detail: "origin answered 302",
		},
		{
			name: "relay answers its ping, the kite's request hangs",
			target: func(t *testing.T) Target {
				s := startStandIn(t, standInOptions{Ping: true, Handler: hang(done)})
				return Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", ConnectTo: s.Addr}
			},
			want: Stalled, detail: "no answer within",
		},
		{
			name: "black hole",
			target: func(t *testing.T) Target {
				return Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", ConnectTo: pktest.BlackHole(t, "127.0.0.1")}
			},
			want: Unreachable, detail: "no answer within",
		},
		{
			name: "connection refused",
			target: func(t *testing.T) Target {
				return Target{Name: "foo.kite.test", ConnectTo: closedAddr(t)}
			},
			want: Unreachable, detail: "refused",
		},
		{
			name: "DNS failure",
			target: func(t *testing.T) Target {
				// Go's resolver refuses .onion names without sending a query
				// (RFC 7686), so this DNS failure sends no traffic anywhere.
				return Target{Name: "nosuch.onion", URL: "http://nosuch.onion/"}
			},
			// The resolver's wording varies ("no such host", "no suitable
			// address found"); the detail names the host either way.
			want: Unreachable, detail: "nosuch.onion",
		},
		{
			name: "bad URL",
			target: func(t *testing.T) Target {
				return Target{Name: "foo.kite.test", URL: "ftp://foo.kite.test/"}
			},
			want: Unrecognized, detail: "scheme",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := shortOpts()
			if tt.opts != nil {
				tt.opts(&o)
			}
			target := tt.target(t)
			got := New(o).Probe(context.Background(), target)
			t.Logf("Probe(%s) = %s %q in %v", tt.name, got.Verdict, got.Detail, got.Duration)
			if got.Verdict != tt.want || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("Probe(%s) = %s %q, want %s with %q", tt.name, got.Verdict, got.Detail, tt.want, tt.detail)
			}
			if got.Kite != target.Name || got.Start.IsZero() || got.Duration <= 0 {
				t.Errorf("Probe(%s) = kite %q start %v duration %v, want %q, a start and a duration", tt.name, got.Kite, got.Start, got.Duration, target.Name)
			}
			// At most the kite's request and the relay ping, plus slack.
			if max := 2*o.Timeout + time.Second; got.Duration > max {
				t.Errorf("Probe(%s) took %v, want at most %v", tt.name, got.Duration, max)
			}
		})
	}
}

// TestMagicPathFallback: when the magic path's answer is not conclusive
// (here the relay refuses it), the probe asks for the page itself.
func TestMagicPathFallback(t *testing.T) {
	refused := serveAnswer(t, "forbidden-fe.http")
	tests := []struct {
		name     string
		page     http.Handler
		want     Verdict
		requests int64 // magic path, page, relay ping
	}{
		{"page is the offline page", serveAnswer(t, "fe-page.http"), KiteDown, 2},
		{"page is the origin's", serveAnswer(t, "origin-200.http"), Flying, 3},
		{"page is refused too", refused, Unrecognized, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startStandIn(t, standInOptions{Ping: true, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/~:PageKite:~/") {
					refused.ServeHTTP(w, r)
					return
				}
				tt.page.ServeHTTP(w, r)
			})})
			got := New(shortOpts()).Probe(context.Background(), Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", ConnectTo: s.Addr})
			if got.Verdict != tt.want {
				t.Errorf("Probe(%s) = %s %q, want %s", tt.name, got.Verdict, got.Detail, tt.want)
			}
			if n := s.Requests.Load(); n != tt.requests {
				t.Errorf("Probe(%s) made %d requests, want %d", tt.name, n, tt.requests)
			}
		})
	}
}
