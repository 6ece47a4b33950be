// Package faults holds pkwatchdogd's fault-injection suite and nothing else:
// it has no code outside its tests.
//
// TestFaults drives kites through faults (relay down, DNS failing,
// black-hole timeouts, TLS errors, captive portals, proxy and relay
// refusals, flapping relays and kites, network loss during grace,
// suspend/resume, wall-clock steps, stale pid files, a PageKite that
// ignores SIGSEGV, no supervisor, collector failures, corrupt and
// unwritable state, config reloads during grace, and 1000 kites for a
// simulated week, three days under the race detector) and checks that restarts and crash-report uploads happen
// exactly when the policy says, never otherwise. It prints the table
//
//	scenario, restarts expected, restarts seen, uploads expected, uploads seen
//
// and fails on any mismatch.
//
// Long stretches run under testing/synctest (fake time) with small
// stand-ins for the prober and the restarter; the network faults are first
// probed for real, with internal/probe over real sockets on 127.0.0.1, and
// their real results replayed into the loop; the process faults use
// internal/action on real processes, and the collector faults
// internal/report against a real TLS collector.
package faults
