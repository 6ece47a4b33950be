package probe

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// slow delays h by d (or until the test ends).
func slow(d time.Duration, done <-chan struct{}, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(d):
			h.ServeHTTP(w, r)
		case <-r.Context().Done():
		case <-done:
		}
	})
}

// TestRelayCheckEarlyPing: when the kite's request is slow, the relay ping
// goes out alongside it, so that a probe whose request times out takes one
// timeout, not two; a fast answer costs no early ping (only the one its
// verdict needs, cached for later probes: TestWarmCacheOneRequest), and a
// ping that went out early is never sent twice. Real sockets on 127.0.0.1, Go stand-ins
// for the relay (Debian's relay cannot be made to hang or to count pings).
func TestRelayCheckEarlyPing(t *testing.T) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	o := shortOpts() // timeout 500 ms
	for _, tc := range []struct {
		name    string
		kind    Kind
		handler http.Handler // nil: a black hole, no stand-in
		want    Verdict
		pings   int64
	}{
		{"black hole (http)", KindHTTP, nil, Unreachable, -1},
		{"black hole (raw)", KindRaw, nil, Unreachable, -1},
		{"kite's request hangs, relay pings", KindHTTP, hang(done), Stalled, 1},
		{"down-fe after 3/4 of the timeout: one ping, early, never a second", KindHTTP, slow(o.Timeout*3/4, done, serveAnswer(t, "fe-probejson.http")), KiteDown, 1},
		{"down-fe at once: one ping, on demand", KindHTTP, serveAnswer(t, "fe-probejson.http"), KiteDown, 1},
		{"flying at once: one ping, on demand", KindHTTP, serveAnswer(t, "origin-200.http"), Flying, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", Kind: tc.kind, Port: 22}
			var s *standIn
			if tc.handler == nil {
				target.ConnectTo = pktest.BlackHole(t, "127.0.0.1")
			} else {
				s = startStandIn(t, standInOptions{Ping: true, Handler: tc.handler})
				target.ConnectTo = s.Addr
			}
			got := New(o).Probe(context.Background(), target)
			t.Logf("%s %q in %v", got.Verdict, got.Detail, got.Duration)
			if got.Verdict != tc.want {
				t.Errorf("verdict %s (%s), want %s", got.Verdict, got.Detail, tc.want)
			}
			if limit := o.Timeout + 250*time.Millisecond; got.Duration > limit {
				t.Errorf("probe took %v, want at most one timeout (%v) and a little", got.Duration, limit)
			}
			if s != nil {
				if n := s.Pings.Load(); n != tc.pings {
					t.Errorf("relay pings %d, want %d", n, tc.pings)
				}
			}
		})
	}
}
