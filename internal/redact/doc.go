// Package redact scrubs private data out of text before it leaves the
// machine in a crash report: PageKite's secrets (as given by the caller and
// as found in pagekite.py's argv= log line), credentials, tokens, query
// strings, cookies, IP addresses and whatever extra patterns the user
// configured.
//
// Redaction is deliberately greedy: losing a little debugging detail is
// always preferred to leaking a secret.
package redact
