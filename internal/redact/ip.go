package redact

import (
	"net/netip"
	"regexp"
	"strings"
)

// Candidates for IP addresses; netip decides which really are.
var (
	ipv4Candidate = regexp.MustCompile(`\d{1,3}(?:\.\d{1,3}){3}`)
	ipv6Candidate = regexp.MustCompile(`[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\d{1,3}(?:\.\d{1,3}){3})?(?:%[0-9A-Za-z_.-]+)?`)
)

// redactIPs replaces every IPv4 and IPv6 address in s with IPMarker. An
// address must stand alone: "v1.2.3.4" and "std::map" are left as they are.
func redactIPs(s string) string {
	if strings.Contains(s, ":") {
		s = replaceAddrs(ipv6Candidate, s)
	}
	return replaceAddrs(ipv4Candidate, s)
}

func replaceAddrs(re *regexp.Regexp, s string) string {
	matches := re.FindAllStringIndex(s, -1)
	if matches == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		start, end := m[0], m[1]
		if !standsAlone(s, start, end) {
			continue
		}
		if _, err := netip.ParseAddr(s[start:end]); err != nil {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(IPMarker)
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// standsAlone reports whether s[start:end] is not part of a longer word or
// dotted number.
func standsAlone(s string, start, end int) bool {
	if start > 0 {
		c := s[start-1]
		if isWord(c) || c == '.' {
			return false
		}
	}
	if end < len(s) {
		c := s[end]
		if isWord(c) {
			return false
		}
		if c == '.' && end+1 < len(s) && s[end+1] >= '0' && s[end+1] <= '9' {
			return false
		}
	}
	return true
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
