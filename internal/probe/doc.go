// Package probe checks one kite end to end through its PageKite relay and
// says what it found as a typed Verdict with a short reason.
//
// An HTTP(S) kite is asked for the relay's magic path
// /~:PageKite:~/NAME/probe.json first, then, when that answer says nothing
// clear, for the kite's page itself. A raw kite (ssh) is asked with
// CONNECT NAME:PORT through the relay. The answers are sorted by Classify,
// a pure function over the recorded answer. Any verdict that rests on the
// relay being a genuine PageKite relay (kite-down, flying) is confirmed by
// the relay's own ping (HEAD /ping, Host: ping.pagekite, answered with an
// X-PageKite-UUID header), whose positive answers are cached per dialled
// address.
//
// One file per probe kind: http.go, raw.go; the classifier in classify.go,
// the relay check in relay.go, error sorting in errors.go.
package probe
