package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// magicPath is the relay's probe path for kite name: when the kite is not
// connected the relay itself answers, with X-PageKite-Status: Down-FE.
// Only the .json form: the GIF form crashes Debian's 1.5.2 relay.
func magicPath(name string) string { return "/~:PageKite:~/" + name + "/probe.json" }

// magicURL is page with the magic path of kite name in place of its path,
// over scheme.
func magicURL(page *url.URL, name, scheme string) *url.URL {
	m := *page
	m.Scheme = scheme
	m.Path, m.RawPath, m.RawQuery, m.Fragment = magicPath(name), "", "", ""
	return &m
}

// probeHTTP probes an HTTP(S) kite: the magic path first, then the page
// itself when the magic path's answer is not conclusive.
//
// TLS goes to the relay only for an https URL. A TLS alert 49 there is
// never kite-down on its own (a connected end-to-end HTTPS kite whose
// local server is down sends it, and so does a relay without a
// certificate for a connected http kite): settle asks the magic path over
// plain HTTP on the same relay. An HTTPSOnly kite probed over plain HTTP
// is settled the same way.
func (p *Prober) probeHTTP(ctx context.Context, t Target, res *Result) {
	page, err := t.pageURL()
	if err != nil {
		res.Verdict, res.Detail = Unrecognized, err.Error()
		return
	}
	dial := t.httpDialAddr(page)
	res.Relay = dial
	relay := p.checkRelay(ctx, dial, res.Start)
	defer relay.close()

	if page.Scheme == "http" && t.HTTPSOnly {
		p.settle(ctx, t, page, res, dial, relay, "HTTPS-only kite over plain HTTP: ")
		return
	}
	ans, err := p.fetch(ctx, magicURL(page, t.Name, page.Scheme), dial)
	if err != nil {
		switch uerr := unwrapURL(err); {
		case page.Scheme == "https" && isAccessDenied(uerr):
			p.settle(ctx, t, page, res, dial, relay, "TLS alert 49 (access denied), then plain HTTP: ")
			return
		case page.Scheme == "https" && isPrintedAlert(uerr):
			p.settle(ctx, t, page, res, dial, relay, "TLS answered with a printed TLS record (pagekite.py 1.5.2's kite), then plain HTTP: ")
			return
		}
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

// settle asks the magic path over plain HTTP for a kite that may have
// only an HTTPS service, and decides from it alone (the page is never
// asked: the relay answers it with "Sorry! (fe)" for a connected kite that
// has no plain-HTTP service). prefix starts the detail.
//
//   - X-PageKite-Status: Down-FE from a genuine relay → KiteDown: the only
//     kite-down here.
//   - an HTTP answer otherwise: Classify's verdict, but an offline page is
//     Unrecognized (not proof for such a kite).
//   - TLS back: the kite answered; alert 49 → BackendDown (its local HTTPS
//     server is down), other TLS → Flying; both need a genuine relay.
//   - the connection closed with no answer → Flying (the relay passed the
//     request to the kite; a relay without the kite answers Down-FE),
//     given a genuine relay.
//   - a timeout or a network error → as failed.
func (p *Prober) settle(ctx context.Context, t Target, page *url.URL, res *Result, dial string, relay *relayCheck, prefix string) {
	ans, err := p.fetch(ctx, magicURL(page, t.Name, "http"), dial)
	var c Classification
	switch ta := asTLSAnswer(err); {
	case err == nil:
		res.Status = ans.Status
		c = Classify(ans)
		if c.Verdict == KiteDown && !downFE(ans) {
			c = Classification{Unrecognized, c.Detail + " is no proof for an HTTPS kite (only " + headerStatus + ": Down-FE is)", false}
		}
	case ta != nil && ta.alert == int(accessDenied):
		c = Classification{BackendDown, "the kite answered with TLS alert 49: its local HTTPS server is down", true}
	case ta != nil:
		c = Classification{Flying, "the kite answered with TLS (" + ta.Error() + ")", true}
	case ctx.Err() == nil && noAnswer(err):
		c = Classification{Flying, "the kite closed the request with no HTTP answer (a relay without the kite says Down-FE)", true}
	default:
		p.failed(ctx, res, dial, relay, err)
		res.Detail = prefix + res.Detail
		return
	}
	c.Detail = prefix + c.Detail
	p.confirm(ctx, res, dial, relay, c)
}

// downFE reports whether a carries X-PageKite-Status: Down-FE.
func downFE(a Answer) bool {
	return a.Header != nil && strings.EqualFold(strings.TrimSpace(a.Header.Get(headerStatus)), "Down-FE")
}

// noAnswer reports whether err is a connection that ended before any
// answer (EOF, reset), as opposed to a timeout or a refused dial.
func noAnswer(err error) bool {
	err = unwrapURL(err)
	if isTimeout(err) || errors.Is(err, errHeaderTooLong) {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err)
}

// failed sorts a request that got no HTTP answer.
//
//   - a timeout: a genuine relay → Stalled, else Unreachable.
//   - headers longer than MaxHeader, or TLS back to plain HTTP →
//     Unrecognized.
//   - anything else (DNS, refused, reset, TLS failures, a TLS alert 49
//     that settle did not take) → Unreachable.
func (p *Prober) failed(ctx context.Context, res *Result, dial string, relay *relayCheck, err error) {
	if err != nil {
		err = unwrapURL(err)
	}
	switch {
	case ctx.Err() != nil:
		res.Verdict, res.Detail = Unreachable, fmt.Sprintf("relay %s: probe cancelled: %v", dial, context.Cause(ctx))
	case errors.Is(err, errHeaderTooLong) || asTLSAnswer(err) != nil:
		res.Verdict, res.Detail = Unrecognized, fmt.Sprintf("relay %s: %v", dial, err)
	case isTimeout(err):
		if ok, why := relay.genuine(ctx); ok {
			res.Verdict, res.Detail = Stalled, fmt.Sprintf("relay %s: no answer within %v; %s", dial, p.opts.Timeout, why)
		} else {
			res.Verdict, res.Detail = Unreachable, fmt.Sprintf("relay %s: no answer within %v; %s", dial, p.opts.Timeout, why)
		}
	case isAccessDenied(err):
		res.Verdict, res.Detail = Unreachable, fmt.Sprintf("relay %s: TLS alert 49 (access denied)", dial)
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
