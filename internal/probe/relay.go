package probe

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// relayCache remembers which dialled addresses answered the relay ping, and
// until when that answer is trusted. Only positive answers are kept.
type relayCache struct {
	mu    sync.Mutex           // guards until
	until map[string]time.Time // dial address → end of trust
}

func newRelayCache() *relayCache {
	return &relayCache{until: make(map[string]time.Time)}
}

// fresh reports whether addr answered its ping and that answer is still
// trusted at now.
func (c *relayCache) fresh(addr string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.until[addr]
	if ok && !now.Before(u) {
		delete(c.until, addr)
		return false
	}
	return ok
}

// remember trusts addr until now+ttl.
func (c *relayCache) remember(addr string, now time.Time, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.until[addr] = now.Add(ttl)
}

// forget drops addr.
func (c *relayCache) forget(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.until, addr)
}

// relayGenuine reports whether the relay at dial is a genuine PageKite
// relay: it answers HEAD /ping with Host: ping.pagekite over plain HTTP and
// an X-PageKite-UUID header. Positive answers are cached for
// Options.RelayCacheTTL. The second result says why, for details.
//
//   - (true, "relay ping cached"): a recent ping answered.
//   - (true, "relay ping answered"): the ping answered now.
//   - (false, reason): no answer, or an answer without X-PageKite-UUID.
func (p *Prober) relayGenuine(ctx context.Context, dial string) (bool, string) {
	ttl := p.opts.RelayCacheTTL
	if ttl > 0 && p.relays.fresh(dial, time.Now()) {
		return true, "relay ping cached"
	}
	ok, why := p.ping(ctx, dial)
	if ok && ttl > 0 {
		p.relays.remember(dial, time.Now(), ttl)
	}
	if !ok {
		p.relays.forget(dial)
	}
	return ok, why
}

// ping asks dial once for HEAD /ping with Host: ping.pagekite, over plain
// HTTP even on port 443 (PageKite relays tell TLS from HTTP by the first
// byte).
func (p *Prober) ping(ctx context.Context, dial string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, "http://"+dial+"/ping", nil)
	if err != nil {
		return false, fmt.Sprintf("relay ping: %v", err)
	}
	req.Host = "ping.pagekite"
	req.Header.Set("User-Agent", p.opts.UserAgent)
	ans, err := p.exchange(ctx, req, dial, nil)
	if err != nil {
		return false, "relay ping: " + describe(err)
	}
	if ans.Header.Get(headerUUID) == "" {
		return false, fmt.Sprintf("relay ping answered %d without %s", ans.Status, headerUUID)
	}
	return true, "relay ping answered"
}
