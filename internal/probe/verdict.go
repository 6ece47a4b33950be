package probe

// Verdict is what one end-to-end probe of a kite concluded. The string values
// are part of pkwatchdogd's interface: they appear in logs, the status file,
// `check --json` and metrics.
type Verdict string

// The verdicts a probe can reach. Only KiteDown ever counts toward a restart.
const (
	// Flying: the request went through the relay and the kite to the local
	// server, which answered (with any status).
	Flying Verdict = "flying"
	// BackendDown: the kite is connected, but the local server behind it does
	// not answer. PageKite itself is fine.
	BackendDown Verdict = "backend-down"
	// KiteDown: a genuine PageKite relay says the kite is not connected.
	KiteDown Verdict = "kite-down"
	// Stalled: the relay answers its own ping, but the request for the kite
	// got no answer within the timeout.
	Stalled Verdict = "stalled"
	// Unreachable: no answer from the relay (DNS, refused, reset, timeout,
	// TLS failure): a network or relay problem.
	Unreachable Verdict = "unreachable"
	// Unrecognized: something answered that is not a PageKite relay, or the
	// relay refused us.
	Unrecognized Verdict = "unrecognized"
	// Rejected: the relay says the kite is not connected, and PageKite's
	// own log (or status file) says why: the relay refused the kite (a
	// wrong secret, an expired account, or a duplicate of a tunnel the
	// relay still holds). A restart cannot help. The probe itself never
	// returns it: the watchdog and check turn a KiteDown into Rejected
	// (see package pklog).
	Rejected Verdict = "rejected"
)

// Up reports whether v shows PageKite working: Flying or BackendDown.
func (v Verdict) Up() bool { return v == Flying || v == BackendDown }

// Down reports whether v is the one verdict that counts toward a restart.
func (v Verdict) Down() bool { return v == KiteDown }

// Conclusive reports whether v says anything about PageKite itself. The
// inconclusive verdicts (Stalled, Unreachable, Unrecognized, Rejected)
// neither count toward a restart nor reset the count.
func (v Verdict) Conclusive() bool { return v.Up() || v.Down() }

// Valid reports whether v is one of the seven verdicts.
func (v Verdict) Valid() bool {
	switch v {
	case Flying, BackendDown, KiteDown, Stalled, Unreachable, Unrecognized, Rejected:
		return true
	}
	return false
}
