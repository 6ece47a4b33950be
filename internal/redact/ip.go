package redact

import (
	"net/netip"
	"strconv"
	"strings"
)

// redactIPs replaces every IPv4 and IPv6 address in s, and every MAC
// address (aa:bb:cc:dd:ee:ff, aa-bb-...), with IPMarker; addresses may be
// URL-encoded (2001%3Adb8%3A%3A1, 10%2E0%2E0%2E1). An
// address must stand alone: "v1.2.3.4" and "std::map" are left as they
// are. It scans s once, by hand: the regexp it replaced cost most of the
// scrubber's time.
func redactIPs(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if !(isHex(c) || c == ':') || !leftAlone(s, i) {
			i++
			continue
		}
		if end := macAt(s, i); end > i {
			b.WriteString(s[last:i])
			b.WriteString(IPMarker)
			last, i = end, end
			continue
		}
		if end := addrAt(s, i); end > i {
			b.WriteString(s[last:i])
			b.WriteString(IPMarker)
			last, i = end, end
			continue
		}
		i++ // inside a word, leftAlone turns the next ones away cheaply
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Longest texts of an IPv6 address (with an embedded IPv4) and of a zone.
const (
	maxIPv6Text = 45
	maxZone     = 64
)

// addrAt returns the end of the address that starts at s[i] and stands
// alone, or i when there is none.
func addrAt(s string, i int) int {
	// IPv6: a run of hex digits, colons and dots (an embedded IPv4) with
	// at least two colons, and an optional %zone.
	j, colons := i, 0
	for j < len(s) && j-i <= maxIPv6Text && (isHex(s[j]) || s[j] == ':' || s[j] == '.') {
		if s[j] == ':' {
			colons++
		}
		j++
	}
	// A run longer than any address is none (and scanning it from each of
	// its positions would cost the square of its length).
	if colons >= 2 && j-i <= maxIPv6Text && (i == 0 || s[i-1] != ':') {
		end := j
		if end < len(s) && s[end] == '%' {
			k := end + 1
			for k < len(s) && k-end <= maxZone && (isWord(s[k]) || s[k] == '_' || s[k] == '.' || s[k] == '-') {
				k++
			}
			if k > end+1 && isAddr(s[i:k]) && rightAlone(s, k) {
				return k
			}
		}
		for end > i && (s[end-1] == '.' || s[end-1] == ':') && !strings.HasSuffix(s[i:end], "::") {
			end-- // a sentence's full stop, a "host:" label
		}
		if isAddr(s[i:end]) && rightAlone(s, end) {
			return end
		}
	}
	// IPv6 URL-encoded: colons written %3A.
	if end := encodedIPv6At(s, i); end > i {
		return end
	}
	// IPv4: four octets of up to three digits, dots or %2E between.
	k := i
	for octet := 0; octet < 4; octet++ {
		if octet > 0 {
			switch {
			case k < len(s) && s[k] == '.':
				k++
			case k+2 < len(s) && s[k] == '%' && s[k+1] == '2' && (s[k+2] == 'E' || s[k+2] == 'e'):
				k += 3
			default:
				return i
			}
		}
		n := 0
		for n < 3 && k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
			n++
		}
		if n == 0 {
			return i
		}
	}
	if isAddr(s[i:k]) && rightAlone(s, k) {
		return k
	}
	return i
}

// leftAlone reports whether an address may start at s[i]: not inside a
// word or a dotted number. An underscore (ip_10.0.0.1) and a URL escape
// (%3D10.0.0.1) do not join it to a word.
func leftAlone(s string, i int) bool {
	if i == 0 {
		return true
	}
	c := s[i-1]
	escaped := i >= 3 && s[i-3] == '%' && isHex(s[i-2]) && isHex(c)
	return !(isWord(c) && !escaped) && c != '.'
}

// rightAlone reports whether an address may end at s[end].
func rightAlone(s string, end int) bool {
	if end >= len(s) {
		return true
	}
	c := s[end]
	if isWord(c) {
		return false
	}
	return !(c == '.' && end+1 < len(s) && s[end+1] >= '0' && s[end+1] <= '9')
}

// isAddr reports whether s is an IP address: what netip parses, or four
// dotted (or %2E-separated) octets of up to 255, leading zeros allowed
// (010.000.000.001, which netip refuses and many parsers take).
func isAddr(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	parts := strings.FieldsFunc(strings.ReplaceAll(strings.ReplaceAll(s, "%2E", "."), "%2e", "."), func(r rune) bool { return r == '.' })
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n > 255 {
			return false
		}
	}
	return true
}

// isWord reports whether c joins an address to a word: letters and digits
// ('_' does not: ip_10.0.0.1 is an address after a name).
func isWord(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// encodedIPv6At returns the end of a URL-encoded IPv6 address (its colons
// as %3A) that starts at s[i] and stands alone, or i.
func encodedIPv6At(s string, i int) int {
	var b strings.Builder
	j, colons := i, 0
	for j < len(s) && b.Len() <= maxIPv6Text {
		switch {
		case isHex(s[j]) || s[j] == '.':
			b.WriteByte(s[j])
			j++
		case j+2 < len(s) && s[j] == '%' && s[j+1] == '3' && (s[j+2] == 'A' || s[j+2] == 'a'):
			b.WriteByte(':')
			colons++
			j += 3
		default:
			goto done
		}
	}
done:
	if colons < 2 || b.Len() > maxIPv6Text {
		return i
	}
	if isAddr(b.String()) && rightAlone(s, j) {
		return j
	}
	return i
}

// macAt returns the end of a MAC address (six pairs of hex digits joined
// by ':' or '-', the same throughout) that starts at s[i] and stands
// alone, or i.
func macAt(s string, i int) int {
	const n = 17 // len("aa:bb:cc:dd:ee:ff")
	if len(s)-i < n {
		return i
	}
	sep := s[i+2]
	if sep != ':' && sep != '-' {
		return i
	}
	for k := 0; k < 6; k++ {
		p := i + 3*k
		if !isHex(s[p]) || !isHex(s[p+1]) || (k < 5 && s[p+2] != sep) {
			return i
		}
	}
	end := i + n
	if end < len(s) && (isHex(s[end]) || s[end] == sep) {
		return i
	}
	return end
}
