// Package bench holds pkwatchdogd's benchmarks. They are tests behind the
// build tag "bench", so that `go test ./...` never runs them; bench/run.sh
// (make bench) runs them with `go test -tags bench` and prints one ratio
// line per measurement ("BENCH name ... target ... met|MISSED").
//
// The benches use real parts on loopback: Debian's pagekite as relay and
// kite, the built daemon (bin/pkwatchdogd), curl and grep, monit. Only the
// probe-spreading bench runs on fake time (testing/synctest), over a fake
// prober. bench/README.md has the figures measured here and the commands.
package bench
