package report

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/pagekite/pkwatchdogd/internal/redact"
)

// ValidateURL checks an upload URL: https:// anywhere, plain http:// only
// to a literal loopback address (127.0.0.0/8, ::1), for local collectors.
// Its errors quote the URL redacted (redact.URL): they reach stdout,
// stderr, the journal and the status file.
func ValidateURL(raw string) error {
	shown := redact.URL(raw)
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the URL, and may quote a piece of a password
		// (invalid port ":PASS"): its reason only when it has no
		// user information.
		var ue *url.Error
		if errors.As(err, &ue) && !strings.Contains(shown, redact.Marker+"@") {
			return fmt.Errorf("upload url %q: %w", shown, ue.Err)
		}
		return fmt.Errorf("upload url %q: does not parse", shown)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("upload url %q: no host", shown)
	}
	if u.User != nil {
		return fmt.Errorf("upload url %q: credentials in the URL are not allowed", shown)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if a, err := netip.ParseAddr(u.Hostname()); err == nil && a.IsLoopback() {
			return nil
		}
		return fmt.Errorf("upload url %q: plain http is allowed only to a loopback address (127.0.0.1, ::1); use https", shown)
	}
	return fmt.Errorf("upload url %q: scheme must be https", shown)
}
