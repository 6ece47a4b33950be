package probe

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"
)

// Defaults for zero Options fields.
const (
	DefaultTimeout       = 10 * time.Second
	DefaultUserAgent     = "pkwatchdogd"
	DefaultRelayCacheTTL = 5 * time.Minute
	DefaultRawQuiet      = 2 * time.Second
)

// Options tune a Prober. Zero values get the defaults above.
type Options struct {
	// Timeout bounds each request of a probe (the kite's request, the
	// relay's ping).
	Timeout time.Duration
	// UserAgent is sent with every HTTP request.
	UserAgent string
	// InsecureSkipVerify turns off TLS certificate checks.
	InsecureSkipVerify bool
	// RootCAs verify TLS certificates; nil means the system's.
	RootCAs *x509.CertPool
	// RelayCacheTTL is how long a relay that answered its ping is taken to
	// be genuine without asking again; negative turns the cache off.
	RelayCacheTTL time.Duration
	// RawQuiet is how long a raw probe waits, after CONNECT answered 200,
	// for the service to send data or close (capped by Timeout). Silence
	// that long counts as flying.
	RawQuiet time.Duration
}

// withDefaults fills the zero fields of o.
func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.RelayCacheTTL == 0 {
		o.RelayCacheTTL = DefaultRelayCacheTTL
	}
	if o.RawQuiet <= 0 {
		o.RawQuiet = DefaultRawQuiet
	}
	if o.RawQuiet > o.Timeout {
		o.RawQuiet = o.Timeout
	}
	return o
}

// Prober probes kites. It is safe for concurrent use; it holds the cache of
// relays that answered their ping.
type Prober struct {
	opts   Options
	relays *relayCache
}

// New returns a Prober with opts (zero fields get defaults).
func New(opts Options) *Prober {
	return &Prober{opts: opts.withDefaults(), relays: newRelayCache()}
}

// Probe probes one kite and returns what it found; it never fails: every
// problem is a Verdict with a Detail. Each request is bounded by
// Options.Timeout and by ctx.
func (p *Prober) Probe(ctx context.Context, t Target) Result {
	start := time.Now()
	res := Result{Kite: t.Name, Start: start}
	switch t.Kind {
	case KindHTTP, "":
		p.probeHTTP(ctx, t, &res)
	case KindRaw:
		p.probeRaw(ctx, t, &res)
	default:
		res.Verdict, res.Detail = Unrecognized, fmt.Sprintf("unknown probe kind %q", t.Kind)
	}
	res.Duration = time.Since(start)
	return res
}

// confirm turns a classification into the result, asking the relay at dial
// whether it is genuine when the classification needs it.
func (p *Prober) confirm(ctx context.Context, res *Result, dial string, relay *relayCheck, c Classification) {
	res.Verdict, res.Detail = c.Verdict, fmt.Sprintf("relay %s: %s", dial, c.Detail)
	if !c.NeedsRelayCheck {
		return
	}
	if ok, why := relay.genuine(ctx); !ok {
		res.Verdict = Unrecognized
		res.Detail = fmt.Sprintf("%s: %s, but %s is not a PageKite relay: %s", dial, c.Detail, dial, why)
	}
}
