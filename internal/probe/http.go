package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
)

// magicPath is the relay's probe path for kite name: when the kite is not
// connected the relay itself answers, with X-PageKite-Status: Down-FE.
// Only the .json form: the GIF form crashes Debian's 1.5.2 relay.
func magicPath(name string) string { return "/~:PageKite:~/" + name + "/probe.json" }

// probeHTTP probes an HTTP(S) kite: the magic path first, then the page
// itself when the magic path's answer is not conclusive.
func (p *Prober) probeHTTP(ctx context.Context, t Target, res *Result) {
	page, err := t.pageURL()
	if err != nil {
		res.Verdict, res.Detail = Unrecognized, err.Error()
		return
	}
	dial := t.httpDialAddr(page)
	res.Relay = dial

	magic := *page
	magic.Path, magic.RawPath, magic.RawQuery, magic.Fragment = magicPath(t.Name), "", "", ""
	relay := p.checkRelay(ctx, dial, res.Start)
	defer relay.close()
	ans, err := p.fetch(ctx, &magic, dial)
	if err != nil {
		p.failed(ctx, res, dial, relay, err)
		return
	}
	c := Classify(ans)
	if c.Verdict == Unrecognized {
		// Not conclusive (a refusal, a conflicting page): ask for the page.
		if pans, perr := p.fetch(ctx, page, dial); perr == nil {
			ans, c = pans, Classify(pans)
		}
	}
	res.Status = ans.Status
	p.confirm(ctx, res, dial, relay, c)
}

// failed sorts a request that got no HTTP answer.
//
//   - TLS alert 49 from a genuine relay → KiteDown (the relay has no tunnel
//     and no certificate for the name).
//   - a timeout: a genuine relay → Stalled, else Unreachable.
//   - anything else (DNS, refused, reset, other TLS failures) → Unreachable.
func (p *Prober) failed(ctx context.Context, res *Result, dial string, relay *relayCheck, err error) {
	if err != nil {
		err = unwrapURL(err)
	}
	switch {
	case ctx.Err() != nil:
		res.Verdict, res.Detail = Unreachable, fmt.Sprintf("relay %s: probe cancelled: %v", dial, context.Cause(ctx))
	case isAccessDenied(err):
		if ok, why := relay.genuine(ctx); ok {
			res.Verdict, res.Detail = KiteDown, fmt.Sprintf("relay %s: TLS alert 49 (access denied); %s", dial, why)
		} else {
			res.Verdict, res.Detail = Unreachable, fmt.Sprintf("relay %s: TLS alert 49 (access denied), and %s", dial, why)
		}
	case isTimeout(err):
		if ok, why := relay.genuine(ctx); ok {
			res.Verdict, res.Detail = Stalled, fmt.Sprintf("relay %s: no answer within %v; %s", dial, p.opts.Timeout, why)
		} else {
			res.Verdict, res.Detail = Unreachable, fmt.Sprintf("relay %s: no answer within %v; %s", dial, p.opts.Timeout, why)
		}
	case isTLSFailure(err):
		res.Verdict, res.Detail = Unreachable, fmt.Sprintf("relay %s: TLS: %v", dial, err)
	default:
		res.Verdict, res.Detail = Unreachable, fmt.Sprintf("relay %s: %v", dial, err)
	}
}

// fetch GETs u from dial and records the answer (at most MaxBody bytes of
// body). It never follows redirects: a redirect is the origin's answer.
func (p *Prober) fetch(ctx context.Context, u *url.URL, dial string) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Answer{}, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("User-Agent", p.opts.UserAgent)
	req.Header.Set("Accept", "*/*")
	var tc *tls.Config
	if u.Scheme == "https" {
		tc = p.tlsConfig(u.Hostname())
	}
	return p.exchange(ctx, req, dial, tc)
}

// tlsConfig is the TLS configuration for a kite: SNI and verification for
// serverName, unless InsecureSkipVerify.
func (p *Prober) tlsConfig(serverName string) *tls.Config {
	return &tls.Config{
		ServerName:         serverName,
		RootCAs:            p.opts.RootCAs,
		InsecureSkipVerify: p.opts.InsecureSkipVerify, //nolint:gosec // the operator's choice
		MinVersion:         tls.VersionTLS12,
	}
}
