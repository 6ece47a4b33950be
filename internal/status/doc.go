// Package status is the daemon's status file: what every kite is doing now,
// written atomically by the running daemon (mode 0644, no secrets) and read
// by `pkwatchdogd status`.
package status
