package redact

import "regexp"

// rules are the patterns always redacted; each removes its capture group
// (the value), keeping the key so that the log still reads.
var rules = []*regexp.Regexp{
	// pagekite.py log fields (`key=value; `) that hold secrets or
	// personal data: the value runs to the next `;` or the end of the line.
	// `secret` also catches kitesecret, `data` dyndns updates.
	regexp.MustCompile(`(?i)(?:secret|password|passwd|httppass|session|token|data)\s*=\s*([^;\s]+)`),
	regexp.MustCompile(`(?i)remote_ip\s*=\s*([^;\s]+)`),
	// forbidden-user=['Basic YWxpY2U6d29uZGVybGFuZA=='] (Basic credentials).
	regexp.MustCompile(`(?i)forbidden-user\s*=\s*(\[[^\]\r\n]*\]?|[^;\r\n]+)`),
	// HTTP headers carrying credentials: the value runs to the end of the line.
	regexp.MustCompile(`(?i)(?:proxy-)?(?:authorization|cookie|set-cookie|x-pagekite-auth)\s*:\s*([^\r\n]*[^\s])`),
	// Credentials anywhere, such as inside a Python list.
	regexp.MustCompile(`(?i)\b(?:basic|bearer|digest)\s+([A-Za-z0-9+/=._~-]{4,})`),
	// Query strings of request paths (GET=/private?token=abc, GET /x?y HTTP/1.1):
	// the path stays, the query goes.
	regexp.MustCompile(`\b(?:GET|POST|PUT|HEAD|DELETE|PATCH|OPTIONS)[= ][^?;\s]*\?([^;\s]+)`),
	// Passwords in URLs: scheme://user:password@host.
	regexp.MustCompile(`://[^/\s:@]*:([^/\s@]+)@`),
}
