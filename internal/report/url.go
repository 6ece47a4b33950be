package report

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// ValidateURL checks an upload URL: https:// anywhere, plain http:// only
// to a literal loopback address (127.0.0.0/8, ::1), for local collectors.
func ValidateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("upload url: %w", err)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("upload url %q: no host", raw)
	}
	if u.User != nil {
		return fmt.Errorf("upload url %q: credentials in the URL are not allowed", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if a, err := netip.ParseAddr(u.Hostname()); err == nil && a.IsLoopback() {
			return nil
		}
		return fmt.Errorf("upload url %q: plain http is allowed only to a loopback address (127.0.0.1, ::1); use https", raw)
	}
	return fmt.Errorf("upload url %q: scheme must be https", raw)
}
