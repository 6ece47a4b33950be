package redact

import (
	"regexp"
	"slices"
	"strings"
	"sync"
)

// secretOptions are the names of pagekite.py's options whose values carry
// secrets (and their old names), and any name holding "secret": what a
// user wrote where a secret goes is one, whether or not pagekite.py knows
// the option.
const secretOptions = `service_on|service_off|backend|define_backend|domain|service_cfg|be_config|httppass|dyndns|[\w-]*secret[\w-]*`

// argvOptions match the options of pagekite.py whose values carry
// secrets, as they appear on a command line (--name=value or --name value,
// e.g. in the argv= log line; the value runs on over words that start no
// option, as a secret may hold spaces) and in config files (name = value
// at the start of a line). Compiled when first used, as rules are.
var argvOptions = sync.OnceValue(func() [2]*regexp.Regexp {
	return [2]*regexp.Regexp{
		regexp.MustCompile(`--(` + secretOptions + `)(?:=|[ \t]+)([^\s;]+(?:[ \t]+[^-\s;][^\s;]*)*)`),
		regexp.MustCompile(`(?m)^[ \t]*(` + secretOptions + `)[ \t]*=[ \t]*([^\r\n]*[^\s])`),
	}
})

// FindSecrets returns the secrets that text reveals through PageKite's own
// options: everything after BPORT in service_on (the optional SECRET
// field, which may hold colons, even in a spec pagekite.py ignores), after
// DOMAIN in domain, the whole value of kitesecret and of any option whose
// name holds "secret", the password of service_cfg's password/USER:PASS
// and of dyndns USER:PASS@, httppass. A value on a command line that may
// run over several words gives both its first word and all of them.
// String removes these by itself; FindSecrets lets a caller remove those
// found in one text (a log) from another (a report).
func FindSecrets(text string) []string {
	if !strings.Contains(text, "service_") && !strings.Contains(text, "domain") &&
		!strings.Contains(text, "secret") && !strings.Contains(text, "httppass") &&
		!strings.Contains(text, "dyndns") && !strings.Contains(text, "backend") &&
		!strings.Contains(text, "be_config") {
		return nil
	}
	var found []string
	for i, re := range argvOptions() {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			found = append(found, optionSecrets(m[1], m[2])...)
			if first, _, ok := strings.Cut(m[2], " "); i == 0 && ok {
				found = append(found, optionSecrets(m[1], first)...)
			}
		}
	}
	return found
}

// maxFound bounds a secret FindSecrets returns: a longer value is no
// PageKite secret (the key=value rules still remove its first word), and
// each secret costs String time in proportion to its length.
const maxFound = 1024

// optionSecrets returns the secrets in the value of one option.
func optionSecrets(name, value string) []string {
	if len(value) > 1 && (value[0] == '"' || value[0] == '\'') {
		if end := strings.IndexByte(value[1:], value[0]); end >= 0 {
			value = value[1 : 1+end] // "a quoted value"; what follows is not it
		}
	}
	value = strings.Trim(strings.TrimRight(value, `;,`), ` '"`)
	switch name {
	case "backend":
		name = "service_on"
	case "define_backend":
		name = "service_off"
	case "be_config":
		name = "service_cfg"
	}
	var out []string
	switch {
	case strings.Contains(name, "secret"), name == "httppass":
		out = append(out, value)
	case name == "service_on", name == "service_off":
		// PROTO[/PORT]:DOMAIN:BHOST:BPORT[:SECRET]; an IPv6 [BHOST] has
		// colons of its own.
		f := fields(value)
		switch {
		case len(f) >= 5:
			// A secret may hold colons: it is everything after BPORT,
			// as written (spaces around its colons) and as pagekite.py
			// reads it (without them).
			out = append(out, strings.Join(f[4:], ":"), rawTail(value, 4))
		case len(f) == 4 && !allDigits(f[3]) && f[3] != "builtin":
			out = append(out, f[3]) // not a port: be safe
		}
	case name == "domain":
		// PROTO:DOMAIN:SECRET, the secret with colons of its own.
		if f := fields(value); len(f) >= 3 {
			out = append(out, strings.Join(f[2:], ":"), rawTail(value, 2))
		}
	case name == "service_cfg":
		// DOMAIN/PORT:password/USER:PASS
		if _, after, ok := strings.Cut(value, "password/"); ok {
			if _, pass, ok := strings.Cut(after, ":"); ok {
				out = append(out, strings.TrimSpace(pass))
			}
		}
	case name == "dyndns":
		// USER:PASS@SERVICE, or a URL; the password may hold '/', '@'
		// and ':'.
		if at := strings.LastIndexByte(value, '@'); at > 0 {
			cred := value[:at]
			if _, rest, ok := strings.Cut(cred, "://"); ok {
				cred = rest
			}
			if _, pass, ok := strings.Cut(cred, ":"); ok {
				out = append(out, pass)
			}
		}
	}
	kept := out[:0]
	for _, s := range out {
		if s != "" && len(s) <= maxFound && !strings.Contains(s, Marker) && !strings.Contains(s, IPMarker) && !slices.Contains(kept, s) {
			kept = append(kept, s) // not nothing, nor already redacted
		}
	}
	return kept
}

// rawTail is what follows the n-th colon of v outside brackets, trimmed:
// a field and all after it, as written.
func rawTail(v string, n int) string {
	depth := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '[':
			depth++
		case ']':
			depth = max(depth-1, 0)
		case ':':
			if depth == 0 {
				if n--; n == 0 {
					return strings.TrimSpace(v[i+1:])
				}
			}
		}
	}
	return ""
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
