// Package watchdog is pkwatchdogd's main loop: each kite's loop owns that
// kite's state machine (internal/fsm) and probes it on a jittered timer
// through a shared concurrency limit. When a kite's machine says a
// restart decision is due, its loop asks the restart desk (internal/desk),
// which owns every restart of a PageKite instance, and goes on probing;
// the desk's answer comes back through the kite's mailbox.
//
// Everything it needs from the outside (probing, restarting, the restart
// budget, crash reports, liveness, status output) comes in through small
// interfaces, so that its timing is tested with testing/synctest over
// fakes of those interfaces, and its behaviour end to end with real
// PageKite processes in the integration tests.
package watchdog
