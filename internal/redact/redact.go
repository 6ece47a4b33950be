package redact

import (
	"regexp"
	"slices"
	"strings"
)

// Marker replaces every secret, credential, token and query string.
const Marker = "[REDACTED]"

// IPMarker replaces IP addresses.
const IPMarker = "[REDACTED-IP]"

// Options says what a Redactor removes besides the patterns it always knows.
type Options struct {
	// Secrets are removed wherever they appear, as literal text. Empty
	// strings are ignored; every other one counts, however short.
	Secrets []string
	// RedactIPs removes IPv4 and IPv6 addresses.
	RedactIPs bool
	// Extra patterns (see CompileExtra): each match is removed, or only
	// its capture groups when the pattern has any.
	Extra []*regexp.Regexp
}

// Redactor removes private data from text. It is immutable and safe for
// concurrent use.
type Redactor struct {
	secrets  []string          // as given: non-empty, unique, longest first
	replacer *strings.Replacer // every variant of every secret
	ips      bool
	extra    []*regexp.Regexp
}

// New returns a Redactor for o.
func New(o Options) *Redactor {
	r := &Redactor{ips: o.RedactIPs, extra: slices.Clone(o.Extra)}
	r.setSecrets(o.Secrets)
	return r
}

// With returns a copy of r that also removes secrets (for instance those
// FindSecrets found in a log).
func (r *Redactor) With(secrets ...string) *Redactor {
	c := *r
	c.setSecrets(append(slices.Clone(r.secrets), secrets...))
	return &c
}

// Secrets returns the literal secrets r removes, longest first.
func (r *Redactor) Secrets() []string { return slices.Clone(r.secrets) }

func (r *Redactor) setSecrets(secrets []string) {
	var s, all []string
	for _, v := range secrets {
		if v != "" {
			s = append(s, v)
			all = append(all, variants(v)...)
		}
	}
	r.secrets = longestFirst(s)
	r.replacer = newReplacer(longestFirst(all))
}

// longestFirst sorts s longest first and drops duplicates: strings.Replacer
// tries its pairs in order at each position, so a secret that contains
// another one is removed whole.
func longestFirst(s []string) []string {
	slices.SortFunc(s, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(s)
}

func newReplacer(secrets []string) *strings.Replacer {
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, Marker)
	}
	return strings.NewReplacer(pairs...)
}

// String returns s with every private datum replaced by Marker (IPMarker
// for addresses). Secrets that s itself reveals in pagekite.py's argv= line
// or in config lines (see FindSecrets) are removed too, everywhere in s,
// as are the known secrets' encoded and case-changed forms
// (redactDecoded).
func (r *Redactor) String(s string) string {
	rep, secrets := r.replacer, r.secrets
	if found := FindSecrets(s); len(found) > 0 {
		w := r.With(found...)
		rep, secrets = w.replacer, w.secrets
	}
	// Decoded and case-folded first: the replacer would cut a piece of
	// a secret (a part between colons) out of its encoded form.
	s = r.redactDecoded(s, newKnown(secrets))
	s = rep.Replace(s)
	s = splitSecrets(s, secrets)
	low := strings.ToLower(s)
	for _, ru := range rules() {
		if ru.span && containsAny(low, ru.any) {
			s = replaceGroups(ru, s)
		}
	}
	s = r.lines(s)
	for _, re := range r.extra {
		s = replaceGroups(rule{re: re}, s)
	}
	return s
}

// lines applies the single-line rules and the IP redaction line by line,
// skipping each rule on the lines that cannot match it (rule.any): most
// lines of a log hold none of their words.
func (r *Redactor) lines(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		line, rest, nl := strings.Cut(s, "\n")
		s = rest
		low := strings.ToLower(line)
		for _, ru := range rules() {
			if !ru.span && containsAny(low, ru.any) {
				line = replaceGroups(ru, line)
				low = strings.ToLower(line)
			}
		}
		line = cutAll(line, tokenCuts(nil, line, 0))
		if r.ips {
			line = redactIPs(line)
		}
		b.WriteString(line)
		if nl {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// containsAny reports whether s holds one of subs.
func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Bytes is String for a byte slice. It returns a new slice.
func (r *Redactor) Bytes(b []byte) []byte {
	return []byte(r.String(string(b)))
}

// replaceGroups replaces what ru matches in s with Marker: every capture
// group that took part in a match (and that ru.keep keeps, when set), or
// the whole match when ru has no groups.
func replaceGroups(ru rule, s string) string {
	return cutAll(s, groupCuts(nil, ru, s, 0))
}

// groupCuts appends to cuts, at off, what replaceGroups replaces.
func groupCuts(cuts []cut, ru rule, s string, off int) []cut {
	for _, m := range ru.re.FindAllStringSubmatchIndex(s, -1) {
		if len(m) == 2 {
			if m[1] > m[0] {
				cuts = append(cuts, cut{off + m[0], off + m[1]})
			}
			continue
		}
		for i := 2; i+1 < len(m); i += 2 {
			if m[i] >= 0 && m[i+1] > m[i] && (ru.keep == nil || ru.keep(s[m[i]:m[i+1]])) {
				cuts = append(cuts, cut{off + m[i], off + m[i+1]})
			}
		}
	}
	return cuts
}

// ruleCuts appends to cuts the values that the single-line rules and the
// opaque-token scan would remove from line (a decoded form of one).
func ruleCuts(cuts []cut, line string) []cut {
	low := strings.ToLower(line)
	for _, ru := range rules() {
		if !ru.span && containsAny(low, ru.any) {
			cuts = groupCuts(cuts, ru, line, 0)
		}
	}
	return tokenCuts(cuts, line, 0)
}
