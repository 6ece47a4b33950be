// Package pagekite names the kinds of PageKite an instance can be. It is a
// leaf: config parses a kind, action proves a process is of one, report
// and the status file say which, each with these values.
package pagekite

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
