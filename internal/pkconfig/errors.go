package pkconfig

import (
	"fmt"
	"strings"
)

// Problem is one bad line. Msg never contains a secret.
type Problem struct {
	File string // file name, or "argv" for ParseArgs
	Line int    // 1-based line (argument index for ParseArgs); 0 for the whole file
	Msg  string
}

// String returns "FILE:LINE: MSG", or "FILE: MSG" when Line is 0.
func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// Errors lists every problem found while parsing. The parse functions return
// it together with everything that did parse, so that one bad line does not
// hide the other kites.
type Errors struct {
	Problems []Problem
}

// Error returns the problems, one per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
