// Package fsm is the per-kite state machine: it turns a stream of probe
// verdicts into at most one decision to restart PageKite, with a grace
// period, a gate (startup delay, process age, restart budget) and an
// escalating cooldown.
//
// States: healthy → suspect (first kite-down) → grace (FailureThreshold
// consecutive kite-downs; inconclusive verdicts in between are skipped) →
// restarting (a kite-down at or after the grace deadline, gate open) →
// cooldown (after Restarted, or straight from grace when the restart budget
// is exhausted) → healthy or suspect on the first conclusive verdict at or
// after the cooldown deadline. Any up verdict in suspect or grace returns to
// healthy. With FailureThreshold ≤ 1 the first kite-down goes straight from
// healthy to grace.
//
// The transitions are carried out by github.com/looplab/fsm; the decisions,
// counts and deadlines are kept here, outside it. Callbacks only record.
// The package never reads the clock: every deadline is computed from the
// now passed in. A Machine is not safe for concurrent use: one goroutine
// owns each kite's machine.
package fsm
