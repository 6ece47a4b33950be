// Package pagekite names the kinds of PageKite an instance can be. It is a
// leaf: config parses a kind, action proves a process is of one, report
// and the status file say which, each with these values.
package pagekite

import "fmt"

// Kind is the program of a PageKite instance.
type Kind string

// The kinds. Unknown (a config that names none) is guessed from the
// process when it is found.
const (
	Unknown Kind = ""
	// Py is pagekite.py (Debian's pagekite package, or PyPagekite).
	Py Kind = "pagekite.py"
	// C is libpagekite's pagekitec.
	C Kind = "pagekitec"
)

// ParseKind parses a config's kind: "pagekite.py", "pagekitec" or "".
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case Unknown, Py, C:
		return k, nil
	}
	return Unknown, fmt.Errorf("kind %q: want %q or %q", s, Py, C)
}
