package probe

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
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

// Target is one kite to probe.
type Target struct {
	// Name is the kite name, e.g. foo.pagekite.me.
	Name string
	// Kind is how to probe it; "" means KindHTTP.
	Kind Kind
	// URL is the kite's URL for KindHTTP; "" means "https://NAME/".
	URL string
	// Port is the port in CONNECT NAME:PORT for KindRaw (e.g. 22).
	Port int
	// ConnectTo is an optional "host:port" to dial instead of the URL's
	// host and port (like curl --connect-to). For KindRaw without it, the
	// probe dials NAME:443.
	ConnectTo string
}

// pageURL is the URL of an HTTP target: t.URL, or https://NAME/.
func (t Target) pageURL() (*url.URL, error) {
	raw := t.URL
	if raw == "" {
		raw = "https://" + t.Name + "/"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse kite url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("kite url scheme %q: want http or https", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("kite url %q has no host", u.Redacted())
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

// connectLine is the CONNECT target of a raw probe, "NAME:PORT".
func (t Target) connectLine() string {
	return net.JoinHostPort(t.Name, strconv.Itoa(t.Port))
}
