package redact

import (
	"regexp"
	"sync"
)

// secretKeys are the names of fields whose values are secret, quoted or
// not, whatever they hold (kitesecret, password, auth_token, ...).
const secretKeys = `secret|password|passwd|pass|pwd|passphrase|httppass|token|access_token|refresh_token|auth|apikey|api_key|api-key|cookie|credentials?`

// sessionKeys are the names of fields whose values are removed only when
// they are opaque tokens (isOpaque): a session id goes, but pagekitec's
// "session=new", "DATA: 137 bytes" and "[sid=7]" stay (#31 item 3).
const sessionKeys = `session[ _-]?id(?:[ \t]+is)?|session|sid|data`

// quotedValue is a value in double or single quotes, escapes and all: a
// secret="two words" goes whole.
const quotedValue = `"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*'`

// rule is a pattern always redacted: it removes its capture groups (the
// value), keeping the key so that the log still reads.
type rule struct {
	re *regexp.Regexp
	// any: the rule can only match a line that holds one of these
	// (lowercase): the scrubber skips the regexp on other lines, which is
	// most of a log.
	any []string
	// span: the rule may match across a line break, so it runs on the
	// whole text (when the text holds one of any).
	span bool
	// keep, when set, says which captured values go: the others stay.
	keep func(value string) bool
}

// keyTriggers are the words of secretKeys, for rule.any.
var keyTriggers = []string{"secret", "pass", "pwd", "token", "auth", "api", "cookie", "credential"}

// sessionTriggers are the words of sessionKeys, for rule.any.
var sessionTriggers = []string{"session", "sid", "data"}

// headerTriggers are the credential headers, for rule.any.
var headerTriggers = []string{"authorization", "cookie", "x-api-key", "x-auth-token", "x-pagekite-auth"}

// rules are the patterns always redacted, in order. They are compiled
// when first used (a crash report), not at start: 0.2 MB of heap that a
// daemon which never writes a report does not need.
var rules = sync.OnceValue(func() []rule {
	return []rule{
		// pagekite.py log fields (`key=value; `), and key=value anywhere
		// (query strings, shell, config): the value is quoted, or runs to
		// the next `;`, `&`, space or the end of the line. `secret` also
		// catches kitesecret.
		// Also KEY: VALUE, as pagekitec's state dump writes fe_0/fe_session: X.
		{re: regexp.MustCompile(`(?i)(?:` + secretKeys + `)\s*(?:=|:[ \t])\s*(` + quotedValue + `|[^;&\s]+)`), any: keyTriggers},
		{re: regexp.MustCompile(`(?i)(?:\b|_)(?:` + sessionKeys + `)\s*(?:=|:[ \t])\s*["']?([^;&\s,)\]"']+)`), any: sessionTriggers, keep: isOpaque},
		// The same keys in JSON ("pass": "x"), Python repr ('pass': 'x') and
		// YAML (pass: x) forms.
		{re: regexp.MustCompile(`(?i)"(?:[\w-]*(?:` + secretKeys + `))"\s*:\s*"((?:[^"\\]|\\.)*)"`), any: keyTriggers},
		{re: regexp.MustCompile(`(?i)'(?:[\w-]*(?:` + secretKeys + `))'\s*:\s*'((?:[^'\\]|\\.)*)'`), any: keyTriggers},
		{re: regexp.MustCompile(`(?im)^[ \t-]*(?:[\w-]*(?:` + secretKeys + `))[ \t]*:[ \t]+([^\r\n]*[^\s])`), any: keyTriggers},
		{re: regexp.MustCompile(`(?i)remote_ip\s*=\s*([^;\s]+)`), any: []string{"remote_ip"}},
		// forbidden-user=['Basic YWxpY2U6d29uZGVybGFuZA=='] (Basic credentials).
		{re: regexp.MustCompile(`(?i)forbidden-user\s*=\s*(\[[^\]\r\n]*\]?|[^;\r\n]+)`), any: []string{"forbidden-user"}},
		// HTTP headers carrying credentials: the value runs to the end of the
		// line, or is on the next line (a header folded, or logged apart).
		{re: regexp.MustCompile(`(?i)(?:proxy-)?(?:authorization|cookie|set-cookie|x-api-key|x-auth-token|x-pagekite-auth)\s*:[ \t]*\r?\n[ \t]*([^\r\n]*[^\s])`), any: headerTriggers, span: true},
		{re: regexp.MustCompile(`(?i)(?:proxy-)?(?:authorization|cookie|set-cookie|x-api-key|x-auth-token|x-pagekite-auth)\s*:[ \t]*([^\r\n]*[^\s])`), any: headerTriggers},
		// The signature of a kite request (X-PageKite: proto:domain:bsalt:
		// fsalt:SIG), which pagekitec logs at full verbosity (" * X-PageKite:
		// ...", once pkwatchdogd raised its log level) and pagekite.py with
		// --debugio: a SHA-1 of the kite's secret and the fields before it,
		// so that a weak secret could be found from it offline. The last
		// field goes, the kite's name stays. Also the session a tunnel
		// replaces (X-PageKite-Replace) and the one the relay gives
		// (X-PageKite-SessionID).
		{re: regexp.MustCompile(`(?i)x-pagekite[ \t]*:[ \t]*[^:\s]+:[^:\s]+(?::[^:\s]*)*:([^:\s;,'"\\]+)`), any: []string{"x-pagekite"}},
		{re: regexp.MustCompile(`(?i)x-pagekite-(?:replace|sessionid)[ \t]*:[ \t]*([^\s;,'"\\]+)`), any: []string{"x-pagekite-replace", "x-pagekite-sessionid"}},
		// pagekitec's dumps of raw data ("W/5(141/141): ...", "R/...", and
		// "data/..." on a tunnel's parse error, at full verbosity): the
		// bytes of the handshake and of end users' requests, cut every 160
		// bytes wherever a header or a signature falls, so no rule could
		// read them. The data goes whole; the sizes stay.
		{re: regexp.MustCompile(`(?:^|[\s=])(?:W|R|data)/\d+\(\d+/\d+\): ?([^\r\n]+)`), any: []string{"): "}},
		// Credentials anywhere, such as inside a Python list.
		{re: regexp.MustCompile(`(?i)\b(?:basic|bearer|digest|token)\s+([A-Za-z0-9+/=._~-]{4,})`), any: []string{"basic", "bearer", "digest", "token"}},
		// The same with a colon or an equals sign (bearer:TOKEN), and
		// folded onto the next line (Basic\n\tdXNlcjpwYXNz).
		{re: regexp.MustCompile(`(?i)\b(?:basic|bearer|digest)[ \t]*[:=][ \t]*([A-Za-z0-9+/=._~-]{4,})`), any: []string{"basic", "bearer", "digest"}},
		{re: regexp.MustCompile(`(?i)\b(?:basic|bearer|digest)[ \t]*\r?\n[ \t]*([A-Za-z0-9+/=._~-]{4,})`), any: []string{"basic", "bearer", "digest"}, span: true},
		// Query strings and fragments of URLs and request paths, wherever they
		// are (GET=/private?token=abc, GET /x?y HTTP/1.1, https://h/p?q#f, a
		// Referer): the path stays, the query and the fragment go.
		{re: regexp.MustCompile(`(?i)(?:\b[a-z][a-z0-9+.-]*://|(?:^|[\s=('"<,])/)[^\s?#"'<>]*(?:\?([^\s#"'<>;]*))?(?:#([^\s"'<>;]*))?`), any: []string{"?", "#"}},
		// User info in URLs: scheme://user:password@host and scheme://TOKEN@host.
		{re: regexp.MustCompile(`://([^/\s@?#]+)@`), any: []string{"@"}},
		// E-mail addresses.
		{re: regexp.MustCompile(`([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})`), any: []string{"@"}},
	}
})

// isOpaque reports whether a session-like value is an opaque token (a
// session id: eight or more token characters mixing letters and digits,
// or twelve or more with letters; colons inside, as in pagekitec's
// "6b1616fb:80daf93d…"), not a word or a number such as "new" or "137",
// nor a URL (whose credentials and query the URL rules remove).
func isOpaque(v string) bool {
	letters, digits := 0, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letters++
		case c == ':' && i > 0 && i < len(v)-1 && v[i+1] != '/':
		case !isTokenByte(c):
			return false
		}
	}
	return len(v) >= 12 && letters > 0 || len(v) >= 8 && letters > 0 && digits > 0
}

// isTokenByte reports whether c may be part of an opaque token: base64
// (both alphabets, with padding), hex, JWT and most session id alphabets.
func isTokenByte(c byte) bool {
	return isWord(c) || c == '+' || c == '/' || c == '=' || c == '_' || c == '-' || c == '.' || c == '~'
}
