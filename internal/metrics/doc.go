// Package metrics exposes pkwatchdogd's Prometheus metrics: each kite's
// state and last verdict (one-hot gauges), probe durations, verdict,
// restart, suppressed-restart, state-change, report and watchdog-ping
// counters. A Metrics implements watchdog.Observer; Serve publishes a
// registry over HTTP at /metrics.
//
// Nothing here touches Prometheus' global default registry: the caller
// passes the registry to New and the gatherer to Serve.
package metrics
