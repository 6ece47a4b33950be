package redact

import "strings"

// URL returns the URL raw fit to print or log: its user information, the
// value of each query parameter and its fragment are replaced by Marker;
// the scheme, host, port, path and the names of the query's parameters
// stay. It works on the text, so a URL that does not parse is redacted as
// well; user information is told by an '@' before the path, or by a
// "USER:PASS" before the path's first '/' that no port explains (a
// password may hold '/'). Every place that prints or logs a URL goes
// through URL (or URLs).
func URL(raw string) string {
	rest, tail := splitFragment(raw)
	start, hostEnd := authority(rest)
	var b strings.Builder
	b.Grow(len(raw))
	b.WriteString(rest[:start])
	if at := userinfoEnd(rest[start:hostEnd]); at > 0 {
		b.WriteString(Marker)
		start += at
	}
	path, query, hasQuery := strings.Cut(rest[start:], "?")
	b.WriteString(path)
	if hasQuery {
		b.WriteByte('?')
		for i, pair := range strings.Split(query, "&") {
			if i > 0 {
				b.WriteByte('&')
			}
			key, value, hasValue := strings.Cut(pair, "=")
			switch {
			case hasValue && value != "":
				b.WriteString(key + "=" + Marker)
			case hasValue:
				b.WriteString(key + "=")
			case key != "":
				b.WriteString(Marker) // a bare value (?TOKEN)
			}
		}
	}
	b.WriteString(tail)
	return b.String()
}

// splitFragment cuts raw before its '#': the fragment comes back as "#"
// and Marker ("" when there is none).
func splitFragment(raw string) (string, string) {
	rest, frag, ok := strings.Cut(raw, "#")
	switch {
	case !ok:
		return raw, ""
	case frag == "":
		return rest, "#"
	}
	return rest, "#" + Marker
}

// authority returns where the authority of rest (a URL without its
// fragment) starts, after "://" (0 when there is none), and where the
// text userinfoEnd looks in ends: at the query, or the end.
func authority(rest string) (start, end int) {
	if i := strings.Index(rest, "://"); i >= 0 {
		start = i + 3
	}
	end = len(rest)
	if q := strings.IndexByte(rest[start:], '?'); q >= 0 {
		end = start + q
	}
	return start, end
}

// userinfoEnd returns the index of the '@' that ends the user information
// of authority (the text after "://", up to the query), or -1 when there
// is none.
func userinfoEnd(authority string) int {
	at := strings.LastIndexByte(authority, '@')
	if at <= 0 {
		return -1
	}
	before := authority[:at]
	slash := strings.IndexByte(before, '/')
	if slash < 0 {
		return at // user[:pass]@host
	}
	// An '@' after a '/': in the path (https://host/a@b), unless what
	// comes before the '/' is USER:PASS rather than HOST:PORT.
	if user, pass, ok := strings.Cut(before[:slash], ":"); ok && user != "" && !allDigits(pass) {
		return at
	}
	return -1
}

// URLs returns s with every URL in it (SCHEME://...; it runs to the next
// blank, quote, angle bracket or semicolon) passed through URL: errors and log lines
// quote URLs.
func URLs(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			break
		}
		from := i
		for from > 0 && isSchemeByte(s[from-1]) {
			from--
		}
		end := i + 3
		for end < len(s) && !strings.ContainsRune(" \t\r\n\"'<>`;", rune(s[end])) {
			end++
		}
		b.WriteString(s[:from])
		b.WriteString(URL(s[from:end]))
		s = s[end:]
	}
	b.WriteString(s)
	return b.String()
}

func isSchemeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

// URLSecrets returns what URL removes from raw that is worth looking for
// elsewhere as a known secret: the password (or a lone user, a token),
// and the query values and fragment of minDerived bytes or more (a
// shorter one would match ordinary text).
func URLSecrets(raw string) []string {
	rest, frag, _ := strings.Cut(raw, "#")
	var out []string
	add := func(s string) {
		if len(s) >= minDerived {
			out = append(out, s)
		}
	}
	add(frag)
	start, hostEnd := authority(rest)
	if at := userinfoEnd(rest[start:hostEnd]); at > 0 {
		user, pass, ok := strings.Cut(rest[start:start+at], ":")
		if ok {
			add(pass)
		} else {
			add(user)
		}
	}
	if _, query, ok := strings.Cut(rest[start:], "?"); ok {
		for _, pair := range strings.Split(query, "&") {
			_, value, _ := strings.Cut(pair, "=")
			add(value)
		}
	}
	return out
}
