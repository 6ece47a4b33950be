package redact

import "strings"

// Opaque tokens in value position (KEY=TOKEN, KEY: TOKEN, "KEY": "TOKEN")
// are removed by their shape, whatever the key (#30 item 2): a session id,
// an API key, a signature or an HMAC nobody listed by name.
const (
	// minIDToken: after an id- or key-like name (session_id, api_key,
	// sig, ...), a run of this many hex digits, or tokenMixed as many
	// characters mixing letters and digits.
	minIDToken = 32
	minIDMixed = 40
	// minAnyToken: after any name, this many token characters mixing
	// upper case, lower case and digits (base64 of 45+ bytes), or as
	// many hex digits.
	minAnyToken = 60
)

// idNames are the last parts of key names (split at '_', '-', '.') that
// name an opaque value. "uuid" is not one: pagekite.py's and pagekitec's
// uuid= is the relay's public identity, sent in every reply it makes
// (X-PageKite-UUID).
var idNames = []string{"id", "sid", "key", "sig", "signature", "hmac", "nonce", "hash", "digest", "ticket", "salt", "secret", "token"}

// tokenCuts appends to cuts, at off, the opaque tokens in value position
// in line.
func tokenCuts(cuts []cut, line string, off int) []cut {
	if len(line) < minIDToken {
		return cuts
	}
	for i := 0; i < len(line); {
		if !isTokenByte(line[i]) || line[i] == '=' {
			i++
			continue
		}
		start := i
		for i < len(line) && isTokenByte(line[i]) && line[i] != '=' {
			i++
		}
		end := i
		for n := 0; n < 2 && end < len(line) && line[end] == '='; n++ {
			end++ // base64 padding
		}
		i = end
		if end-start < minIDToken {
			continue
		}
		key, ok := keyBefore(line, start)
		if !ok {
			continue
		}
		if opaqueToken(line[start:end], isIDName(key)) {
			cuts = append(cuts, cut{off + start, off + end})
		}
	}
	return cuts
}

// keyBefore returns the name of the field whose value starts at line[i]:
// KEY=, KEY:, KEY: ", "KEY": "; ok is false when the text before is no
// such thing.
func keyBefore(line string, i int) (string, bool) {
	j := i
	for j > 0 && (line[j-1] == '"' || line[j-1] == '\'') && i-j < 1 {
		j--
	}
	for j > 0 && (line[j-1] == ' ' || line[j-1] == '\t') && i-j < 4 {
		j--
	}
	if j == 0 || line[j-1] != '=' && line[j-1] != ':' {
		return "", false
	}
	j--
	for j > 0 && (line[j-1] == ' ' || line[j-1] == '\t' || line[j-1] == '"' || line[j-1] == '\'') {
		j--
	}
	k := j
	for k > 0 && (isWord(line[k-1]) || line[k-1] == '_' || line[k-1] == '-' || line[k-1] == '.') {
		k--
	}
	return line[k:j], k < j
}

// isIDName reports whether key names an opaque value: its last part is
// one of idNames, or it ends in Id or Key (camel case).
func isIDName(key string) bool {
	if strings.HasSuffix(key, "Id") || strings.HasSuffix(key, "ID") || strings.HasSuffix(key, "Key") {
		return true
	}
	last := strings.ToLower(key[strings.LastIndexAny(key, "_-.")+1:])
	for _, n := range idNames {
		if last == n {
			return true
		}
	}
	return false
}

// opaqueToken reports whether v (token characters) is long and random
// enough to be a credential: see minIDToken and minAnyToken. A path
// (/usr/lib/...) is not one.
func opaqueToken(v string, idName bool) bool {
	if v[0] == '/' || strings.Contains(v, "//") || strings.Contains(v, "..") {
		return false
	}
	hex, upper, lower, digit := true, false, false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		}
		if !isHex(c) {
			hex = false
		}
	}
	if idName {
		return hex && len(v) >= minIDToken || len(v) >= minIDMixed && digit && (upper || lower)
	}
	return len(v) >= minAnyToken && (hex || upper && lower && digit)
}
