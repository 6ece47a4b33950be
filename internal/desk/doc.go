// Package desk is the restart desk: the one owner of every restart of a
// PageKite instance (one pagekite.py or pagekitec process, flying several
// kites) and of the restart budget.
//
// Kite loops never restart anything. When a kite's state machine says that
// a decision is due (grace ran out on a kite-down), its loop sends a
// Request and goes on probing; the desk answers through the kite's Mailbox:
//
//   - Hold: not yet (pkwatchdogd or the machine started less than
//     startup_delay ago, the PageKite process is younger than
//     min_process_age); the kite waits in grace until then.
//   - Begin: the instance is being restarted; the kite is restarting.
//   - Cool: cooldown until then: after the restart (to every kite of the
//     instance, whether it asked or not), or without one (the restart
//     budget is spent, or the instance is already cooling down).
//
// The desk serialises restarts (one at a time, over all instances), joins
// the requests of every kite of an instance into one restart while it is
// queued or running, applies the gates per instance (Decide, pure), records
// the restart in the budget, hands one crash report per restart to the
// Reporter, and publishes each instance's state for the status file.
//
// Its loop never blocks on I/O: finding the process, restarting it and
// recording the budget run in one worker goroutine at a time, which
// reports back to the loop.
package desk
