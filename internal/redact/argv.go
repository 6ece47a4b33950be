package redact

import (
	"regexp"
	"strings"
	"sync"
)

// argvOptions match the options of pagekite.py whose values carry
// secrets, as they appear on a command line (--name=value or --name value,
// e.g. in the argv= log line) and in config files (name = value at the
// start of a line). Compiled when first used, as rules are.
var argvOptions = sync.OnceValue(func() [2]*regexp.Regexp {
	return [2]*regexp.Regexp{
		regexp.MustCompile(`--(service_on|service_off|domain|kitesecret|service_cfg|httppass|dyndns)(?:=|\s+)(\S+)`),
		regexp.MustCompile(`(?m)^[ \t]*(service_on|service_off|domain|kitesecret|service_cfg|httppass|dyndns)[ \t]*=[ \t]*([^\r\n]*[^\s])`),
	}
})

// FindSecrets returns the secrets that text reveals through PageKite's own
// options: the last `:` field of service_on (when it has the optional
// SECRET field) and of domain, kitesecret, the password of service_cfg's
// password/USER:PASS and of dyndns USER:PASS@, httppass. String removes
// these by itself; FindSecrets lets a caller remove those found in one
// text (a log) from another (a report).
func FindSecrets(text string) []string {
	if !strings.Contains(text, "service_") && !strings.Contains(text, "domain") &&
		!strings.Contains(text, "kitesecret") && !strings.Contains(text, "httppass") &&
		!strings.Contains(text, "dyndns") {
		return nil
	}
	var found []string
	for _, re := range argvOptions() {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			found = append(found, optionSecrets(m[1], m[2])...)
		}
	}
	return found
}

// optionSecrets returns the secrets in the value of one option.
func optionSecrets(name, value string) []string {
	value = strings.Trim(strings.TrimRight(value, `;,`), ` '"`)
	var s string
	switch name {
	case "kitesecret", "httppass":
		s = value
	case "service_on", "service_off":
		// PROTO[/PORT]:DOMAIN:BHOST:BPORT[:SECRET]; an IPv6 [BHOST] has
		// colons of its own.
		f := fields(value)
		switch {
		case len(f) >= 5:
			// A secret may hold colons: it is everything after BPORT.
			s = strings.Join(f[4:], ":")
		case len(f) == 4 && !allDigits(f[3]):
			s = f[3] // not a port: be safe
		}
	case "domain":
		// PROTO:DOMAIN:SECRET
		if f := fields(value); len(f) >= 3 {
			s = f[len(f)-1]
		}
	case "service_cfg":
		// DOMAIN/PORT:password/USER:PASS
		if _, after, ok := strings.Cut(value, "password/"); ok {
			if _, pass, ok := strings.Cut(after, ":"); ok {
				s = strings.TrimSpace(pass)
			}
		}
	case "dyndns":
		// USER:PASS@SERVICE, or a URL
		if cred, _, ok := strings.Cut(value, "@"); ok {
			cred = cred[strings.LastIndex(cred, "/")+1:]
			if _, pass, ok := strings.Cut(cred, ":"); ok {
				s = pass
			}
		}
	}
	if s == "" || strings.Contains(s, Marker) || strings.Contains(s, IPMarker) {
		return nil // nothing, or already redacted
	}
	return []string{s}
}

// fields splits a colon-separated option value, ignoring the spaces
// around each field that pagekite.py ignores too, and the colons inside
// brackets ([::1]).
func fields(v string) []string {
	var f []string
	depth, start := 0, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '[':
			depth++
		case ']':
			depth = max(depth-1, 0)
		case ':':
			if depth == 0 {
				f = append(f, strings.TrimSpace(v[start:i]))
				start = i + 1
			}
		}
	}
	return append(f, strings.TrimSpace(v[start:]))
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
