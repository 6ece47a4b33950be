// Package fsm is the per-kite state machine: it turns a stream of probe
// evidence into at most one "a restart decision is due" moment per grace
// period. It is pure: it imports nothing of the project, reads no clock and
// does no I/O. The decision itself (startup delay, process age, restart
// budget, the instance's cooldown) belongs to the restart desk
// (internal/desk), whose answers the caller feeds back with Hold, Begin and
// Cool.
//
// States: healthy → suspect (first Down) → grace (FailureThreshold
// consecutive Downs; Inconclusive evidence in between is skipped) → at the
// grace deadline a Down gives a Step with Due set, and the machine waits in
// grace for the desk: Hold keeps it in grace until a later deadline, Begin
// moves it to restarting, Cool moves it to cooldown (budget spent, the
// instance already cooling down, or the restart done). Cool after a restart
// also reaches kites of the same instance that were not asking: every kite
// of an instance enters cooldown together. From cooldown, the first
// conclusive evidence at or after its deadline goes to healthy (Up) or
// suspect (Down). Any Up in suspect or grace returns to healthy. With
// FailureThreshold ≤ 1 the first Down goes straight from healthy to grace.
//
// Rejected evidence (the relay refuses the kite: no restart can fix it)
// holds the machine (Held): healthy, grace and an expired cooldown go to
// suspect, suspect stays, and no restart can be due while it lasts (a
// grace deadline would pass with nothing due). It keeps the count; the
// next Up or Down ends the hold, and a Down then counts on, so grace, if it
// comes back, starts afresh. Restarting and a running cooldown are only
// marked held.
//
// The transition table (state.go) is interpreted once, at start, by
// github.com/looplab/fsm into immutable data that every Machine reads
// without a lock; a Machine keeps its own state, count, deadlines and last
// transition, a few hundred bytes. A Machine is not safe for concurrent
// use: one goroutine at a time owns each kite's machine.
package fsm
