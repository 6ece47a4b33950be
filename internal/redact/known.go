package redact

import (
	"sort"
	"strings"
)

// cut is a part [from, to) of a text to replace by Marker.
type cut struct{ from, to int }

// cutAll returns s with every part in cuts replaced by one Marker
// (overlapping and touching parts as one).
func cutAll(s string, cuts []cut) string {
	if len(cuts) == 0 {
		return s
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].from < cuts[j].from })
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for i := 0; i < len(cuts); {
		c := cuts[i]
		for i++; i < len(cuts) && cuts[i].from <= c.to; i++ {
			c.to = max(c.to, cuts[i].to)
		}
		if c.from < last {
			c.from = last
		}
		if c.to <= c.from {
			continue
		}
		b.WriteString(s[last:c.from])
		b.WriteString(Marker)
		last = c.to
	}
	b.WriteString(s[last:])
	return b.String()
}

// asciiLower is s with A-Z as a-z: the same length, so that an index in
// it is one in s.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// indexAll appends to cuts every place of sub in s, shifted by off.
func indexAll(cuts []cut, s, sub string, off int) []cut {
	for i := 0; ; {
		j := strings.Index(s[i:], sub)
		if j < 0 {
			return cuts
		}
		cuts = append(cuts, cut{off + i + j, off + i + j + len(sub)})
		i += j + len(sub)
	}
}

// known is what the decoded and case-folded search looks for: the
// secrets as they are, and folded (those of minDerived bytes or more:
// a shorter one would match ordinary words in another case).
type known struct {
	exact  []string
	folded []string
}

func newKnown(secrets []string) known {
	var k known
	add := func(s string) {
		k.exact = append(k.exact, s)
		if len(s) >= minDerived {
			k.folded = append(k.folded, asciiLower(s))
		}
		// A secret that ends in an escape character (\, %, &) may be
		// decoded together with what follows it (\ then a space, % then
		// two hex digits): look for the rest of it too.
		if t := strings.TrimRight(s, `\%&`); t != s && len(t) >= minDerived {
			k.exact = append(k.exact, t)
			k.folded = append(k.folded, asciiLower(t))
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		add(s)
		if strings.Contains(s, " ") {
			add(strings.ReplaceAll(s, " ", "+")) // a query's space
		}
		// A secret that holds escapes of its own (%41, &amp;, \x41) is
		// also looked for decoded: a text that encodes some of its
		// characters and leaves its escapes as they are decodes to the
		// same.
		for _, v := range views(s) {
			if len(v.s) >= minDerived {
				add(v.s)
			}
		}
	}
	return k
}

// find appends the places of the known secrets in s (at off).
func (k known) find(cuts []cut, s string, off int) []cut {
	for _, sec := range k.exact {
		cuts = indexAll(cuts, s, sec, off)
	}
	if len(k.folded) > 0 {
		low := asciiLower(s)
		for _, sec := range k.folded {
			cuts = indexAll(cuts, low, sec, off)
		}
	}
	return cuts
}

// redactDecoded returns s with each known secret removed wherever it
// appears in another letter case, or behind percent-encoding (repeated),
// HTML entities (named and numeric), JSON, Python, C or shell escapes, or
// any chain of these, mixed with plain text or not: it looks in each
// decoded form of each line (views) and replaces the part of the original
// that the match came from. Values of credential-like keys that only a
// decoded form shows (%3Ftoken%3D...) go too (rules on views).
func (r *Redactor) redactDecoded(s string, k known) string {
	var cuts []cut
	if len(k.folded) > 0 {
		cuts = k.find(nil, s, 0)
	}
	if !strings.ContainsAny(s, `%&\`) {
		return cutAll(s, cuts)
	}
	for off := 0; off < len(s); {
		end := strings.IndexByte(s[off:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += off
		}
		line := s[off:end]
		for _, v := range views(line) {
			var in []cut
			in = k.find(in, v.s, 0)
			if v.rules {
				in = ruleCuts(in, v.s)
			}
			for _, c := range in {
				lo, hi := v.span(c.from, c.to)
				cuts = append(cuts, cut{off + lo, off + hi})
			}
		}
		off = end + 1
	}
	return cutAll(s, cuts)
}
