package redact

import "strings"

// splitSecrets returns s with the pieces of secrets that a line break
// splits removed: a secret whose first part ends one line and whose rest
// starts the next (after the spaces a folded line starts with), and a
// line that ends with the first minDerived or more bytes of a secret (a
// line cut at a length limit, the rest dropped).
func splitSecrets(s string, secrets []string) string {
	if len(secrets) == 0 || !strings.Contains(s, "\n") && len(s) < minDerived {
		return s
	}
	var cuts []cut
	for start := 0; start <= len(s); {
		nl := strings.IndexByte(s[start:], '\n')
		end := len(s)
		if nl >= 0 {
			end = start + nl
		}
		line := strings.TrimSuffix(s[start:end], "\r")
		lineEnd := start + len(line)
		for _, sec := range secrets {
			for k := min(len(sec)-1, len(line)); k >= 1; k-- {
				if line[len(line)-1] != sec[k-1] || !strings.HasSuffix(line, sec[:k]) {
					continue
				}
				if nl >= 0 {
					next := end + 1
					lead := next
					for lead < len(s) && (s[lead] == ' ' || s[lead] == '\t') {
						lead++
					}
					at := -1
					for p := next; p <= lead; p++ { // the rest may start with blanks of its own
						if strings.HasPrefix(s[p:], sec[k:]) {
							at = p
							break
						}
					}
					if at >= 0 {
						cuts = append(cuts, cut{lineEnd - k, lineEnd}, cut{at, at + len(sec) - k})
						break
					}
				}
				if k >= minDerived {
					cuts = append(cuts, cut{lineEnd - k, lineEnd})
					break
				}
			}
		}
		if nl < 0 {
			break
		}
		start = end + 1
	}
	return cutAll(s, cuts)
}
