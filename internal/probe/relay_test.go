package probe

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestRelayCache(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	c := newRelayCache()
	if c.fresh("a:1", t0) {
		t.Fatalf("fresh(a:1) on an empty cache = true, want false")
	}
	c.remember("a:1", t0, time.Minute)
	tests := []struct {
		addr string
		at   time.Time
		want bool
	}{
		{"a:1", t0, true},
		{"a:1", t0.Add(59 * time.Second), true},
		{"b:1", t0, false},
		{"a:1", t0.Add(time.Minute), false},
		{"a:1", t0, false}, // expired entries are dropped
	}
	for _, tt := range tests {
		if got := c.fresh(tt.addr, tt.at); got != tt.want {
			t.Errorf("fresh(%s, t0+%v) = %v, want %v", tt.addr, tt.at.Sub(t0), got, tt.want)
		}
	}
	c.remember("a:1", t0, time.Minute)
	c.forget("a:1")
	if c.fresh("a:1", t0) {
		t.Errorf("fresh(a:1) after forget = true, want false")
	}
}

// TestWarmCacheOneRequest: with the relay ping cached, probing a flying
// kite costs exactly one request; without the cache, two.
func TestWarmCacheOneRequest(t *testing.T) {
	tests := []struct {
		name      string
		ttl       time.Duration
		wantFirst int64 // requests of the first probe
		wantNext  int64 // requests of each later probe
	}{
		{"cache on", time.Minute, 2, 1},
		{"cache off", -1, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu  sync.Mutex // guards uas
				uas []string
			)
			s := startStandIn(t, standInOptions{Ping: true, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				uas = append(uas, r.UserAgent())
				mu.Unlock()
				http.NotFound(w, r)
			})})
			o := shortOpts()
			o.RelayCacheTTL = tt.ttl
			p := New(o)
			target := Target{Name: "foo.kite.test", URL: "http://foo.kite.test/", ConnectTo: s.Addr}
			for i := range 3 {
				before := s.Requests.Load()
				r := p.Probe(context.Background(), target)
				if r.Verdict != Flying {
					t.Fatalf("probe %d: Probe() = %s %q, want flying", i, r.Verdict, r.Detail)
				}
				want := tt.wantNext
				if i == 0 {
					want = tt.wantFirst
				}
				if got := s.Requests.Load() - before; got != want {
					t.Errorf("probe %d: requests = %d, want %d", i, got, want)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(uas) == 0 {
				t.Errorf("the kite's requests reached no handler")
			}
			for _, ua := range uas {
				if ua != o.UserAgent {
					t.Errorf("User-Agent = %q, want %q", ua, o.UserAgent)
				}
			}
		})
	}
}

// TestCacheOnlyPositive: a failed ping is not cached, so a relay that comes
// back is believed at once.
func TestCacheOnlyPositive(t *testing.T) {
	s := startStandIn(t, standInOptions{Ping: false, Handler: serveAnswer(t, "origin-404.http")})
	p := New(shortOpts())
	if ok, _ := p.relayGenuine(context.Background(), s.Addr); ok {
		t.Fatalf("relayGenuine(no UUID) = true, want false")
	}
	if ok, _ := p.relayGenuine(context.Background(), s.Addr); ok {
		t.Fatalf("relayGenuine(no UUID) second time = true, want false")
	}
	if got := s.Pings.Load(); got != 2 {
		t.Errorf("pings = %d, want 2 (negative answers are not cached)", got)
	}
}
