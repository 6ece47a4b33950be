package pkconfig

import "strings"

// Config is what a set of pagekite.py rc files configures, as far as a
// watchdog cares.
type Config struct {
	// Kites are the enabled services (service_on, backend), grouped by kite
	// name in order of first appearance. Disabled services (service_off)
	// are left out.
	Kites []Kite
	// Secrets are the secret values found anywhere in the configuration
	// (kitesecret, service_on secrets, service_cfg passwords, dyndns
	// credentials, httppass, domain secrets, options named *secret*),
	// deduplicated, in order of appearance. Never log them.
	Secrets []string
	// NotConfigured is set when a file contains abort_not_configured: the
	// stock, unconfigured Debian file. pagekite.py refuses to start then.
	NotConfigured bool
	// Defaults is set by the defaults option (pagekite.net's relays and
	// error page).
	Defaults bool
	// Frontends are the frontend (host:port) and frontends
	// (COUNT:dnsname:port) values, as written.
	Frontends []string
	// Whitelabels are the whitelabel and whitelabels domains.
	Whitelabels []string
	// ErrorURLs are the error page URLs in effect, each "[DOMAIN:]URL" as
	// errorurl takes them; defaults and whitelabel(s) add theirs.
	ErrorURLs []string
	// Files are the rc files read, in order.
	Files []string
}

// Kite is one kite name and its enabled services.
type Kite struct {
	Name     string
	Services []Service
}

// Service is one enabled service of a kite.
type Service struct {
	// Proto is the protocol as pagekite.py names the service: "http",
	// "https", "websocket", "raw-22", or "http-8080" for a service on a
	// non-default public port ("ssh" and "raw/22" both become "raw-22").
	Proto string
	// Port is the public port given with the protocol (22 in raw-22), or 0
	// for the protocol's default.
	Port int
	// Backend is the local server, "host:port", or "builtin" for
	// pagekite.py's own HTTP server.
	Backend string
	// PublicPort is the one port the relay serves the service on, when
	// the config fixes it: pagekite.py's http/8080 (8080), or a PPORT
	// of pagekitec other than 0 (80 included); 0 when the relay serves it
	// on each of its ports (pagekite.py's http, http/0; pagekitec's
	// PPORT 0).
	PublicPort int
}

// Base returns the protocol without its public port: "raw" for "raw-22",
// "http" for "http-8080".
func (s Service) Base() string {
	base, _, _ := strings.Cut(s.Proto, "-")
	return base
}

// HasProto reports whether the kite has a service whose Base is one of protos.
func (k Kite) HasProto(protos ...string) bool {
	for _, s := range k.Services {
		for _, p := range protos {
			if s.Base() == p {
				return true
			}
		}
	}
	return false
}
