package probe

import (
	"context"
	"sync"
	"time"
)

// relayCheck answers, at most once per probe, whether the relay at dial is
// genuine (relayGenuine). When the kite's own request has not answered
// within half the timeout and the relay is not known to be genuine, it asks
// the relay early, alongside that request: a request that times out needs
// the answer (stalled or unreachable), and so a relay that accepts
// connections but never answers (a black hole) costs one timeout per probe,
// not two. A request that answers sooner costs no early ping; one that
// answers later than half the timeout may cost a ping that was not needed
// (a flying kite behind a relay slower than that).
type relayCheck struct {
	p    *Prober
	dial string
	// timer starts the early ping; nil when the relay was known genuine.
	timer *time.Timer
	// cancel ends the early ping; nil with timer.
	cancel context.CancelFunc

	mu      sync.Mutex // guards claimed
	claimed bool       // the ping started (early or on demand): no second one
	done    chan struct{}
	ok      bool   // set before done is closed
	why     string // set before done is closed
}

// checkRelay arms the early ping for a probe through dial that started at
// start. ctx bounds the early ping; it never outlives the probe's timeout.
func (p *Prober) checkRelay(ctx context.Context, dial string, start time.Time) *relayCheck {
	c := &relayCheck{p: p, dial: dial, done: make(chan struct{})}
	if p.opts.RelayCacheTTL > 0 && p.relays.fresh(dial, time.Now()) {
		return c // genuine will say so without a request
	}
	early, cancel := context.WithDeadline(ctx, start.Add(p.opts.Timeout))
	c.cancel = cancel
	c.timer = time.AfterFunc(p.opts.Timeout/2, func() {
		if !c.claim() {
			return
		}
		c.ok, c.why = p.relayGenuine(early, dial)
		close(c.done)
	})
	return c
}

// claim reports whether the caller is the one to ping the relay.
func (c *relayCheck) claim() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.claimed {
		return false
	}
	c.claimed = true
	return true
}

// settle cancels the early ping if it has not started: the kite's request
// answered.
func (c *relayCheck) settle() {
	if c.timer != nil {
		c.timer.Stop()
	}
}

// close ends the early ping, started or not: the probe is over.
func (c *relayCheck) close() {
	c.settle()
	if c.cancel != nil {
		c.cancel()
	}
}

// genuine is relayGenuine for the probe's relay: the early ping's answer
// when it started, else a ping now (or the cache).
func (c *relayCheck) genuine(ctx context.Context) (bool, string) {
	c.settle()
	if c.claim() {
		return c.p.relayGenuine(ctx, c.dial)
	}
	select {
	case <-c.done:
		return c.ok, c.why
	case <-ctx.Done():
		return false, "relay ping: " + context.Cause(ctx).Error()
	}
}
