package redact

import "strings"

// Log returns s fit for pkwatchdogd's own log: the secrets r knows, those
// s reveals through PageKite's options (FindSecrets) and the user
// information, query values and fragments of URLs (URLs) are replaced by
// Marker. Unlike String it keeps
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
	return URLs(s)
}
