package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
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
// URL-encoded (query, path with or without its slashes, every byte, and
// each of these twice); JSON- and Python-escaped (also `\/` and every
// character as \uXXXX); HTML entities (named and numeric); hex; UTF-16LE; in
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
		add(strings.ReplaceAll(url.PathEscape(s), "%2F", "/")) // a path keeps its slashes
		add(strings.ReplaceAll(url.QueryEscape(s), "%2F", "/"))
		add(url.QueryEscape(url.QueryEscape(s))) // encoded twice
		add(url.PathEscape(url.PathEscape(s)))
		add(percentAll(s, "%%%02X"))
		add(percentAll(s, "%%%02x"))
		add(percentAll(s, "%%25%02X"))
		add(percentAll(s, "%%25%02x"))
		add(jsonEscaped(s, false))
		add(jsonEscaped(s, true))
		add(strings.ReplaceAll(jsonEscaped(s, false), "/", `\/`)) // PHP's json_encode
		add(percentAll(s, `\u%04x`))                              // every character escaped
		add(percentAll(s, `\u%04X`))
		add(percentAll(s, `\x%02x`))
		add(htmlEscaper.Replace(s))
		add(percentAll(s, "&#%d;"))
		add(percentAll(s, "&#x%02x;"))
		add(percentAll(s, "&#x%02X;"))
		add(percentAll(s, "&#x%x;"))
		add(percentAll(s, "&#x%X;"))
		add(hex.EncodeToString([]byte(s)))
		add(strings.ToUpper(hex.EncodeToString([]byte(s))))
		add(utf16LE(s))
		add(bytesLE(s))
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

// htmlEscaper is html.EscapeString's replacer (package html's entity
// table would cost the binary more than this line).
var htmlEscaper = strings.NewReplacer(`&`, "&amp;", `'`, "&#39;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;")

// utf16LE is s as UTF-16LE bytes (Windows tools, some dumps): for ASCII,
// each byte followed by a zero byte.
func utf16LE(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > 0xffff {
			r = 0xfffd
		}
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.String()
}

// bytesLE is each byte of s followed by a zero byte: s read as Latin-1
// and written as UTF-16LE (utf16LE differs for non-ASCII UTF-8).
func bytesLE(s string) string {
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, s[i], 0)
	}
	return string(b)
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
