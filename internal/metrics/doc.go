// Package metrics exposes pkwatchdogd's Prometheus metrics: each kite's
// state and last verdict (one-hot gauges), probe durations, verdict,
// restart, suppressed-restart, state-change, report and watchdog-ping
// counters. A Metrics implements watchdog.Observer; Serve publishes it
// over HTTP at /metrics in Prometheus' text exposition format.
//
// The format is written here rather than by Prometheus' client library:
// these are a handful of counters and gauges, and a kite's series are kept
// as one small struct (the one-hot gauges derived when written), so that
// 5000 kites cost about a megabyte rather than tens of megabytes, and the
// binary carries no protobuf. The tests check the output with Prometheus'
// own parser and linter.
package metrics
