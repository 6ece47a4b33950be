package fsm

// Evidence is what one probe says about a kite, as far as the machine is
// concerned. The zero value is Inconclusive, so that a forgotten mapping
// can never count toward a restart.
type Evidence int

// The kinds of evidence.
const (
	// Inconclusive: the probe tells nothing about PageKite (the relay or
	// the network is down, something else answered). Skipped.
	Inconclusive Evidence = iota
	// Up: the kite is connected to its relay (its local server may be
	// down, which a restart of PageKite would not fix).
	Up
	// Down: the relay itself says the kite is not connected. The only
	// evidence that counts toward a restart.
	Down
	// Rejected: the relay says the kite is not connected, and PageKite's
	// own log or status says the relay refuses it: a restart cannot fix
	// that. It neither counts nor resets the count, and it holds the
	// machine (see Machine.Held) until conclusive evidence comes.
	Rejected
)

// String names the evidence, for notes.
func (e Evidence) String() string {
	switch e {
	case Up:
		return "up"
	case Down:
		return "down"
	case Rejected:
		return "rejected"
	}
	return "inconclusive"
}
