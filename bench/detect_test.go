//go:build bench

package bench

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// detectPolicy is the short policy of the detection bench.
var detectPolicy = struct {
	interval, timeout, grace, cooldown time.Duration
	jitter                             float64
	threshold                          int
}{3 * time.Second, 2500 * time.Millisecond, 4 * time.Second, 10 * time.Second, 0.1, 2}

// TestDetectionLatency measures, over BENCH_DETECT_RUNS runs (default 10),
// the time from a kite going down to its PageKite process dying of SIGSEGV,
// divided by the policy's own bound.
//
// "Going down": the kite process is frozen (SIGSTOP) and the relay is
// restarted, which drops its tunnel. The kite process lives on but cannot
// reconnect, so from the relay's view the kite is not connected (Down-FE)
// until PageKite is restarted: PageKite alive but in a bad state. (A relay
// restarted with another secret would reject the kite, and a rejected kite
// is rightly never restarted.) t0 is the moment the new relay accepts
// connections (before that, the relay itself is down: no probe can tell
// that the kite is down); t1 is when the kite process is reaped with a
// SIGSEGV wait status (the restart sends SIGCONT after SIGSEGV).
func TestDetectionLatency(t *testing.T) {
	pktest.RequireRoot(t)
	pktest.PagekiteBinary(t)
	daemonBinary(t)
	runs := envInt(t, "BENCH_DETECT_RUNS", 10)
	var ratios, latencies []float64
	for i := range runs {
		t.Run(fmt.Sprintf("run%02d", i), func(t *testing.T) {
			latency, bound := detectOnce(t)
			ratios = append(ratios, float64(latency)/float64(bound))
			latencies = append(latencies, latency.Seconds())
			t.Logf("run %d: kite down -> SIGSEGV %v, bound %v, ratio %.3f", i, latency.Round(time.Millisecond), bound.Round(time.Millisecond), ratios[len(ratios)-1])
		})
	}
	if len(ratios) != runs {
		t.Fatalf("%d of %d runs measured", len(ratios), runs)
	}
	slices.Sort(ratios)
	slices.Sort(latencies)
	med, most := median(ratios), ratios[len(ratios)-1]
	p := detectPolicy
	emit(t, "detection-latency",
		"runs=%d policy(interval=%v jitter=%g threshold=%d grace=%v) latency median=%.2fs max=%.2fs ratio-to-bound median=%.3f max=%.3f target median<=1.05 max<=1.15 %s",
		runs, p.interval, p.jitter, p.threshold, p.grace, median(latencies), latencies[len(latencies)-1], med, most,
		met(med <= 1.05 && most <= 1.15))
}

// median of sorted xs.
func median(xs []float64) float64 {
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// detectOnce sets up a relay, a kite and the daemon, takes the kite down
// and returns the time to the SIGSEGV and the policy's bound for this run.
func detectOnce(t *testing.T) (latency, bound time.Duration) {
	const name = "foo.kite.test"
	p := detectPolicy
	dir := t.TempDir()
	relayPort := pktest.FreePort(t)
	relayAddr := fmt.Sprintf("127.0.0.1:%d", relayPort)
	relay, _ := startRelay(t, dir, relayPort, secret)
	web := pktest.StartWebServer(t)
	pidfile := filepath.Join(dir, "kite.pid")
	kite := startKite(t, dir, name, relayPort, web, pidfile)
	waitFlying(t, relayAddr, name, 30*time.Second)

	daemon, logPath := startDaemon(t, daemonConf{
		Dir: dir, LogLevel: "debug",
		Interval: p.interval, Jitter: p.jitter, Timeout: p.timeout, Concurrency: 4,
		Threshold: p.threshold, Grace: p.grace, Cooldown: p.cooldown,
		Pidfile: pidfile, RespawnTimeout: time.Second,
		Kites: []kiteConf{{Name: name, URL: "http://" + name + "/", ConnectTo: relayAddr}},
	})
	defer daemon.stop(syscall.SIGTERM, 10*time.Second)

	// Wait until the daemon has seen the kite flying.
	deadline := time.Now().Add(20 * time.Second)
	for !sawVerdict(t, logPath, "flying") {
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not report the kite flying within 20s (log %s)", logPath)
		}
		if _, st := daemon.exited(); st != nil {
			t.Fatalf("daemon exited: %v (log %s)", st, logPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Go down at a random phase of the probe schedule.
	time.Sleep(rand.N(p.interval))

	if err := kite.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("freeze the kite: %v", err)
	}
	relay.kill()
	_, t0 := startRelay(t, dir, relayPort, secret)

	select {
	case <-kite.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("kite not killed within 60s of going down (daemon log %s)", logPath)
	}
	t1, st := kite.exited()
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGSEGV {
		t.Fatalf("kite ended with %v, want SIGSEGV (daemon log %s)", st, logPath)
	}
	latency = t1.Sub(t0)

	// The probes involved: those that ended between t0 and the kill (the
	// log's timestamps have millisecond precision).
	var probes time.Duration
	n := 0
	for _, l := range readLog(t, logPath) {
		if l.Msg == "probe result" && l.TS.After(t0.Add(-time.Millisecond)) && !l.TS.After(t1) {
			probes += l.Duration
			n++
		}
	}
	if n < p.threshold {
		t.Fatalf("%d probes logged between going down and the kill, want at least %d (log %s)", n, p.threshold, logPath)
	}
	bound = time.Duration(p.threshold-1)*p.interval + p.grace + p.interval + probes
	t.Logf("%d probes involved, %v in all", n, probes.Round(time.Millisecond))
	return latency, bound
}

// sawVerdict reports whether the daemon's log has a probe result with
// verdict v.
func sawVerdict(t *testing.T, logPath, v string) bool {
	t.Helper()
	for _, l := range readLog(t, logPath) {
		if l.Msg == "probe result" && l.Verdict == v {
			return true
		}
	}
	return false
}
