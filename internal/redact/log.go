package redact

import "strings"

// Log returns s fit for pkwatchdogd's own log: the secrets r knows, those
// s reveals through PageKite's options (FindSecrets) and the credentials
// of URLs (URLCredentials) are replaced by Marker. Unlike String it keeps
// addresses, names and paths, which an operator reading the journal
// needs, and compiles no pattern unless s names a PageKite option: every
// log line goes through it. A nil r removes what s itself reveals.
func (r *Redactor) Log(s string) string {
	var found []string
	if strings.Contains(s, "--") || strings.Contains(s, "=") {
		found = FindSecrets(s)
	}
	switch {
	case r != nil && len(found) > 0:
		s = r.With(found...).replacer.Replace(s)
	case r != nil && len(r.secrets) > 0:
		s = r.replacer.Replace(s)
	case len(found) > 0:
		s = newReplacer(found).Replace(s)
	}
	return URLCredentials(s)
}

// URLCredentials returns s with the user information of every URL in it
// (scheme://USER:PASS@host) replaced by Marker: errors quote URLs.
func URLCredentials(s string) string {
	if !strings.Contains(s, "://") || !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			break
		}
		start := i + 3
		end := start + strings.IndexAny(s[start:]+" ", "/?# \t\r\n\"'<>")
		if at := strings.LastIndexByte(s[start:end], '@'); at > 0 && !strings.HasPrefix(s[start:], Marker+"@") {
			b.WriteString(s[:start])
			b.WriteString(Marker)
			s = s[start+at:]
			continue
		}
		b.WriteString(s[:start])
		s = s[start:]
	}
	b.WriteString(s)
	return b.String()
}
