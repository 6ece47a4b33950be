// Package watchdog is pkwatchdogd's main loop: one goroutine per kite owns
// that kite's state machine (internal/fsm), probes it on a jittered timer
// through a shared concurrency limit, and runs the restart and crash-report
// actions once the machine says so, outside the machine's callbacks.
//
// Everything it needs from the outside (probing, restarting, the restart
// budget, crash reports, liveness, status output) comes in through small
// interfaces declared here, so that its timing is tested with
// testing/synctest over fakes of those interfaces, and its behaviour end to
// end with real PageKite processes in the integration tests.
package watchdog
