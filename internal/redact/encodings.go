package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// minDerived is the shortest encoded form of a secret that is removed:
// shorter ones (the middle of a short secret's base64, say) would match
// ordinary text.
const minDerived = 6

// variants returns secret in the encodings that PageKite, a web stack or a
// log may write it in: as it is; unquoted and trimmed (`"my secret"`);
// URL-encoded (query, path, every byte); JSON- and Python-escaped; in
// base64 (standard and URL alphabets, padded or not, and at each of the
// three alignments it can have inside a longer base64 text, such as the
// Basic credentials "user:SECRET"); and, for a secret holding colons, each
// part (pagekite.py splits service_on at colons).
func variants(secret string) []string {
	out := []string{secret}
	add := func(v string) {
		if len(v) >= minDerived || v == secret {
			out = append(out, v)
		}
	}
	bare := strings.Trim(secret, " \t\"'")
	if bare != secret && bare != "" {
		add(bare)
	}
	for _, s := range []string{secret, bare} {
		if s == "" {
			continue
		}
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		add(percentAll(s, "%%%02X"))
		add(percentAll(s, "%%%02x"))
		add(jsonEscaped(s, false))
		add(jsonEscaped(s, true))
		add(strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s))
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			add(enc.EncodeToString([]byte(s)))
			for k := 0; k < 3; k++ {
				add(base64Core(enc, s, k))
			}
		}
		if strings.Contains(s, ":") {
			for _, part := range strings.Split(s, ":") {
				add(part)
			}
		}
	}
	return out
}

// percentAll percent-encodes every byte of s with format.
func percentAll(s, format string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

// jsonEscaped is s as encoding/json writes it inside a string, with or
// without HTML escaping (<, > and & as \u003c ...).
func jsonEscaped(s string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s)
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(b.String()), `"`), `"`)
}

// base64Core is the part of the base64 encoding of s, preceded by k bytes
// of anything, that depends on s alone: what any base64 text holding s at
// an offset of k (mod 3) bytes contains.
func base64Core(enc *base64.Encoding, s string, k int) string {
	raw := enc.WithPadding(base64.NoPadding).EncodeToString(append(make([]byte, k), s...))
	skip := (8*k + 5) / 6         // characters touched by the k prefix bytes
	end := (8 * (k + len(s))) / 6 // whole characters of s's last bits
	if end > len(raw) {
		end = len(raw)
	}
	if skip >= end {
		return ""
	}
	return raw[skip:end]
}
