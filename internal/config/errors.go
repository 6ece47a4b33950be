package config

import (
	"fmt"
	"strings"
)

// Problem is one invalid or unknown key.
type Problem struct {
	Key string // full key path, such as "probe.interval" or "kite[1].name"
	Msg string
}

// String returns "KEY: MSG".
func (p Problem) String() string { return p.Key + ": " + p.Msg }

// Errors lists every problem of a configuration. Load returns it (as a
// *Errors) after decoding succeeded but keys were unknown or invalid.
type Errors struct {
	File     string // the file loaded; empty for Validate
	Problems []Problem
}

// Error returns one line per problem, each "FILE: KEY: MSG".
func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if e.File != "" {
			lines[i] = e.File + ": " + p.String()
		} else {
			lines[i] = p.String()
		}
	}
	return strings.Join(lines, "\n")
}

// SyntaxError is a TOML syntax error, or a value that cannot be decoded
// into its key (a bad duration), with its position.
type SyntaxError struct {
	File string
	Line int // 1-based
	Col  int // 1-based
	Msg  string
	err  error
}

// Error returns "FILE:LINE:COL: MSG".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Unwrap returns the toml.ParseError.
func (e *SyntaxError) Unwrap() error { return e.err }
