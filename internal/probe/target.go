package probe

import (
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/pagekite/pkwatchdogd/internal/redact"
)

// Kind is how a kite is probed.
type Kind string

// The probe kinds.
const (
	// KindHTTP fetches the kite's URL (scheme http or https) through the relay.
	KindHTTP Kind = "http"
	// KindRaw sends CONNECT NAME:PORT through the relay (ssh and other raw
	// services).
	KindRaw Kind = "raw"
)

// Kinds are the probe kinds, for a config's kind key: adding one here
// (with its probe in Prober.Probe) is all a config needs to accept it.
func Kinds() []Kind { return []Kind{KindHTTP, KindRaw} }

// Target is one kite to probe.
type Target struct {
	// Name is the kite name, e.g. foo.pagekite.me.
	Name string
	// Kind is how to probe it; "" means KindHTTP.
	Kind Kind
	// URL is the kite's URL for KindHTTP; "" means "http://NAME/". The
	// probe speaks TLS to the relay only for an https URL: never use one
	// with a Debian 1.5.2 relay, which crashes on a TLS ClientHello.
	URL string
	// Port is the port in CONNECT NAME:PORT for KindRaw (e.g. 22).
	Port int
	// ConnectTo is an optional "host:port" to dial instead of the URL's
	// host and port (like curl --connect-to): the relay the kite connects
	// to. For KindRaw without it, the probe dials NAME:443.
	ConnectTo string
	// HTTPSOnly says the kite's only web service is HTTPS passed through
	// to the local server (end-to-end TLS). Probed over plain HTTP, such a
	// kite, when connected, answers the magic path with TLS (alert 49 when
	// its local HTTPS server is down) or not at all, and the relay answers
	// its page with "Sorry! (fe)" although it is connected: so only
	// X-PageKite-Status: Down-FE makes it kite-down, and its page is never
	// asked for.
	HTTPSOnly bool
	// Via says, for validate and check, where ConnectTo comes from (e.g.
	// "frontend = 127.0.0.1:8080"); the probe does not use it.
	Via string
	// Expect is, for KindRaw, what the service behind the kite sends
	// first ("SSH-", "220 " for SMTP): after 200 Connection Established
	// the probe then waits up to its timeout for it, and silence is
	// Stalled (a frozen PageKite keeps the relay's tunnel open for about
	// 150 s), not Flying. "" means "SSH-" for port 22 and nothing for
	// other ports (silence for RawQuiet is then Flying: the service may
	// wait for the client).
	Expect string
}

// DefaultSSHExpect is what an ssh server sends first: raw kites on port 22
// expect it unless told otherwise.
const DefaultSSHExpect = "SSH-"

// expect is what t's service sends first, "" when nothing is expected.
func (t Target) expect() string {
	if t.Expect == "" && t.Port == 22 {
		return DefaultSSHExpect
	}
	return t.Expect
}

// pageURL is the URL of an HTTP target: t.URL, or http://NAME/.
func (t Target) pageURL() (*url.URL, error) {
	raw := t.URL
	if raw == "" {
		raw = "http://" + t.Name + "/"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse kite url %q: does not parse", redact.URL(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("kite url scheme %q: want http or https", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("kite url %q has no host", redact.URL(raw))
	}
	return u, nil
}

// httpDialAddr is where an HTTP probe connects: ConnectTo, or the URL's
// host and port (80 for http, 443 for https by default).
func (t Target) httpDialAddr(u *url.URL) string {
	if t.ConnectTo != "" {
		return t.ConnectTo
	}
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// rawDialAddr is where a raw probe connects: ConnectTo, or NAME:443.
func (t Target) rawDialAddr() string {
	if t.ConnectTo != "" {
		return t.ConnectTo
	}
	return net.JoinHostPort(t.Name, "443")
}

// Dial is where the probe of t connects ("host:port"): the relay. A target
// whose URL does not parse gives "".
func (t Target) Dial() string {
	if t.Kind == KindRaw {
		return t.rawDialAddr()
	}
	u, err := t.pageURL()
	if err != nil {
		return ""
	}
	return t.httpDialAddr(u)
}

// connectLine is the CONNECT target of a raw probe, "NAME:PORT".
func (t Target) connectLine() string {
	return net.JoinHostPort(t.Name, strconv.Itoa(t.Port))
}

// Describe says how t is probed, for validate and check: what is asked of
// the relay, and which relay, from where.
func (t Target) Describe() string {
	where := redact.URL(t.URL)
	switch {
	case t.Kind == KindRaw:
		where = fmt.Sprintf("CONNECT %s:%d", t.Name, t.Port)
	case t.HTTPSOnly:
		where += " (HTTPS-only kite, asked over plain HTTP)"
	}
	where += " through relay " + t.Dial()
	switch {
	case t.Via != "":
		where += " (" + t.Via + ")"
	case t.ConnectTo == "":
		where += " (the kite's name, by DNS)"
	}
	return where
}
