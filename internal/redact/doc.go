// Package redact scrubs private data out of text before it leaves the
// machine in a crash report: PageKite's secrets (as given by the caller and
// as found in pagekite.py's argv= log line), in any letter case and behind
// any chain of percent, HTML and backslash escapes (a line's decoded forms
// are searched, and the part of the original a match came from is
// replaced), credentials, the values of credential-like keys, opaque
// tokens, query strings, cookies, IP addresses and whatever extra patterns
// the user configured. URL prints a URL fit for a log or an error.
//
// Redaction is greedy where a value may be secret: losing a little
// debugging detail is preferred to leaking a secret. Values are removed by
// what they are, though, not by the key before them: byte counts, states
// and stream ids stay.
package redact
