package probe

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// closeNoAnswer is a handler that closes the connection without an HTTP
// answer: what a connected HTTPS-only kite may do with a plain request.
func closeNoAnswer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	})
}

// tlsAlertAnswer is a handler that answers a plain request with a TLS alert
// record, alert 49: what a connected HTTPS-only kite whose local HTTPS
// server is down sends back, as measured on Debian's 1.5.2 relay (the
// relay passes the magic path to the kite, and the kite answers in TLS).
func tlsAlertAnswer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_, _ = c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 49})
			c.Close()
		}
	})
}

// printedAlertAnswer answers a plain request with printedAlert.
func printedAlertAnswer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_, _ = io.WriteString(c, printedAlert)
			c.Close()
		}
	})
}

// TestTLSAlertSettled: a TLS alert 49 is never kite-down on its own; the
// plain-HTTP magic path on the same relay settles it. The relays are Go
// stand-ins (standIn: alert 49 to every ClientHello, plain HTTP on the same
// port), because Debian's 1.5.2 relay crashes on a ClientHello; their
// answers are the reference's, measured on PyPagekite 1.5.2.260113.
func TestTLSAlertSettled(t *testing.T) {
	tests := []struct {
		name    string
		ping    bool
		handler func(t *testing.T) http.Handler
		target  Target
		want    Verdict
		detail  string
		// requests is how many HTTP requests the stand-in may serve at
		// most (pings included): no more than needed.
		requests int64
		// printed: the ClientHello gets the printed alert (Debian's kite).
		printed bool
	}{
		{
			name: "printed alert over TLS, printed alert over plain HTTP: a Debian kite whose HTTPS server is down", ping: true, printed: true,
			handler: func(t *testing.T) http.Handler { return printedAlertAnswer() },
			target:  Target{Name: "foo.kite.test", URL: "https://foo.kite.test/"},
			want:    BackendDown, detail: "local HTTPS server is down", requests: 2,
		},
		{
			name: "HTTPS-only kite over plain HTTP: the printed alert", ping: true,
			handler: func(t *testing.T) http.Handler { return printedAlertAnswer() },
			target:  Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", HTTPSOnly: true},
			want:    BackendDown, detail: "TLS alert 49", requests: 2,
		},
		{
			name: "alert 49, plain HTTP says Down-FE: not connected", ping: true,
			handler: func(t *testing.T) http.Handler { return serveAnswer(t, "fe-probejson.http") },
			target:  Target{Name: "foo.kite.test", URL: "https://foo.kite.test/"},
			want:    KiteDown, detail: "TLS alert 49 (access denied), then plain HTTP: X-PageKite-Status: Down-FE", requests: 2,
		},
		{
			name: "alert 49, the origin answers plain HTTP: a connected http kite, no certificate on the relay", ping: true,
			handler: func(t *testing.T) http.Handler { return serveAnswer(t, "origin-404.http") },
			target:  Target{Name: "foo.kite.test", URL: "https://foo.kite.test/"},
			want:    Flying, detail: "origin answered 404", requests: 2,
		},
		{
			name: "alert 49, the kite answers plain HTTP with alert 49: its HTTPS server is down", ping: true,
			handler: func(t *testing.T) http.Handler { return tlsAlertAnswer() },
			target:  Target{Name: "foo.kite.test", URL: "https://foo.kite.test/"},
			want:    BackendDown, detail: "local HTTPS server is down", requests: 2,
		},
		{
			name: "alert 49, no HTTP answer: a connected HTTPS-only kite", ping: true,
			handler: func(t *testing.T) http.Handler { return closeNoAnswer() },
			target:  Target{Name: "foo.kite.test", URL: "https://foo.kite.test/"},
			want:    Flying, detail: "no HTTP answer", requests: 2,
		},
		{
			name: "alert 49, plain HTTP has the offline page only: no proof", ping: true,
			handler: func(t *testing.T) http.Handler { return serveAnswer(t, "fe-page.http") },
			target:  Target{Name: "foo.kite.test", URL: "https://foo.kite.test/"},
			want:    Unrecognized, detail: "no proof", requests: 1,
		},
		{
			name: "alert 49 and Down-FE from something that is no relay", ping: false,
			handler: func(t *testing.T) http.Handler { return serveAnswer(t, "fe-probejson.http") },
			target:  Target{Name: "foo.kite.test", URL: "https://foo.kite.test/"},
			want:    Unrecognized, detail: "not a PageKite relay", requests: 2,
		},
		{
			name: "HTTPS-only kite over plain HTTP: Down-FE", ping: true,
			handler: func(t *testing.T) http.Handler { return serveAnswer(t, "fe-probejson.http") },
			target:  Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", HTTPSOnly: true},
			want:    KiteDown, detail: "HTTPS-only kite over plain HTTP: X-PageKite-Status: Down-FE", requests: 2,
		},
		{
			name: "HTTPS-only kite over plain HTTP: the kite answers in TLS", ping: true,
			handler: func(t *testing.T) http.Handler { return tlsAlertAnswer() },
			target:  Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", HTTPSOnly: true},
			want:    BackendDown, detail: "TLS alert 49", requests: 2,
		},
		{
			name: "HTTPS-only kite over plain HTTP: no answer", ping: true,
			handler: func(t *testing.T) http.Handler { return closeNoAnswer() },
			target:  Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", HTTPSOnly: true},
			want:    Flying, detail: "no HTTP answer", requests: 2,
		},
		{
			name: "HTTPS-only kite over plain HTTP: Sorry! (fe) is what a relay says to plain HTTP for a connected one", ping: true,
			handler: func(t *testing.T) http.Handler { return serveAnswer(t, "fe-page.http") },
			target:  Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", HTTPSOnly: true},
			want:    Unrecognized, detail: "no proof", requests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startStandIn(t, standInOptions{Ping: tt.ping, Handler: tt.handler(t), Printed: tt.printed})
			target := tt.target
			target.ConnectTo = s.Addr
			got := New(shortOpts()).Probe(context.Background(), target)
			t.Logf("Probe = %s %q", got.Verdict, got.Detail)
			if got.Verdict != tt.want || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("Probe = %s %q, want %s with %q", got.Verdict, got.Detail, tt.want, tt.detail)
			}
			if n := s.Requests.Load(); n > tt.requests {
				t.Errorf("the relay served %d HTTP requests, want at most %d", n, tt.requests)
			}
		})
	}
}

// TestPlainKiteSendsNoTLS: an http:// kite and an HTTPS-only kite probed
// over plain HTTP never send a ClientHello (it would crash a Debian 1.5.2
// relay), whatever the relay answers.
func TestPlainKiteSendsNoTLS(t *testing.T) {
	for _, h := range []http.Handler{serveAnswer(t, "fe-probejson.http"), serveAnswer(t, "forbidden-fe.http"), closeNoAnswer(), tlsAlertAnswer()} {
		for _, target := range []Target{
			{Name: "foo.kite.test"},
			{Name: "foo.kite.test", URL: "http://foo.kite.test/", HTTPSOnly: true},
		} {
			s := startStandIn(t, standInOptions{Ping: true, Handler: h})
			target.ConnectTo = s.Addr
			got := New(shortOpts()).Probe(context.Background(), target)
			if n := s.Hellos.Load(); n != 0 {
				t.Errorf("Probe(%+v) = %s: sent %d TLS ClientHellos, want none", target, got.Verdict, n)
			}
		}
	}
}
