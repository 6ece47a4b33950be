//go:build bench

package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// TestMetricsFlood measures a real scrape of the daemon's /metrics (curl,
// its own time_total) side by side with no flood, under 300 slowloris
// clients (reconnecting when cut) and during a burst of
// BENCH_FLOOD_BURST (10,000) idle connections, each for
// BENCH_FLOOD_WINDOW (10 s: past the server's 2 s read timeout, when the
// flood's connections expire), and after each flood (#30 item 4: 6.6 s,
// then about 2 s each; 6.9 s during the burst). The daemon watches one
// kite flying through a real relay. It also checks that memory stays
// bounded (peak RSS) and that the daemon's file descriptors are back to
// their count before the floods.
func TestMetricsFlood(t *testing.T) {
	pktest.RequireRoot(t)
	pktest.PagekiteBinary(t)
	window := envDuration(t, "BENCH_FLOOD_WINDOW", 10*time.Second)
	burst := envInt(t, "BENCH_FLOOD_BURST", 10000)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < uint64(burst)+1000 {
		t.Fatalf("open files limit %d (%v): the burst of %d connections needs %d; raise ulimit -n", lim.Cur, err, burst, burst+1000)
	}
	const name = "flood.kite.test"
	dir := t.TempDir()
	relayPort := pktest.FreePort(t)
	relayAddr := fmt.Sprintf("127.0.0.1:%d", relayPort)
	startRelay(t, dir, relayPort, secret)
	startKite(t, dir, name, relayPort, pktest.StartWebServer(t), filepath.Join(dir, "kite.pid"))
	waitFlying(t, relayAddr, name, 30*time.Second)

	metricsAddr := fmt.Sprintf("127.0.0.1:%d", pktest.FreePort(t))
	daemon, logPath := startDaemon(t, daemonConf{
		Dir: dir, LogLevel: "info", MetricsListen: metricsAddr,
		Interval: 5 * time.Second, Jitter: 0.1, Timeout: 3 * time.Second, Concurrency: 4,
		Threshold: 3, Grace: time.Hour, Cooldown: time.Hour, DryRun: true,
		Pidfile: filepath.Join(dir, "kite.pid"), RespawnTimeout: time.Second,
		Kites: []kiteConf{{Name: name, URL: "http://" + name + "/", ConnectTo: relayAddr}},
	})
	defer daemon.stop(syscall.SIGTERM, 10*time.Second)
	waitListening(t, metricsAddr, 10*time.Second)
	time.Sleep(time.Second) // its first probes
	baseline := fdCount(t, daemon.pid())

	quiet := scrapes(t, metricsAddr, 30, time.Now().Add(window))
	loris, lorisAfter, lorisConns := underFlood(t, metricsAddr, window, func(stop <-chan struct{}) int {
		return pktest.Slowloris(metricsAddr, 300, stop)
	})
	idle, idleAfter, idleConns := underFlood(t, metricsAddr, window, func(stop <-chan struct{}) int {
		return pktest.IdleBurst(metricsAddr, burst, stop)
	})
	if idleConns < burst {
		t.Fatalf("the burst opened %d connections of %d", idleConns, burst)
	}
	if _, st := daemon.exited(); st != nil {
		t.Fatalf("daemon exited during the floods: %v (log %s)", st, logPath)
	}
	// The flood's connections are closed: the daemon's descriptors go
	// back to their count before (within 5 s).
	after := fdCount(t, daemon.pid())
	for deadline := time.Now().Add(5 * time.Second); after > baseline && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		after = fdCount(t, daemon.pid())
	}
	hwm, err := procHWM(daemon.pid())
	if err != nil {
		t.Fatal(err)
	}
	slowest := slices.Max(slices.Concat(quiet, loris, lorisAfter, idle, idleAfter))
	emit(t, "metrics-scrape-flood",
		"real scrapes (curl) of /metrics, p50/p99: no flood %s; 300 slowloris (%d connections in %v) %s, after %s; burst of %d idle connections (held %v) %s, after %s; slowest %v target <1s %s",
		pcts(quiet), lorisConns, window, pcts(loris), pcts(lorisAfter), idleConns, window, pcts(idle), pcts(idleAfter),
		slowest.Round(time.Millisecond), met(slowest < time.Second))
	mb := float64(hwm) / (1 << 20)
	emit(t, "metrics-flood-footprint",
		"through both floods: peak RSS %.1f MB target <=20MB %s; file descriptors %d before, %d after target back to before %s",
		mb, met(mb <= 20), baseline, after, met(after <= baseline))
}

// underFlood runs flood until window has passed, scraping addr every
// 200 ms meanwhile, then ends it and scrapes 10 times after. It returns
// the scrape times during and after, and what flood returned.
func underFlood(t *testing.T, addr string, window time.Duration, flood func(stop <-chan struct{}) int) (during, after []time.Duration, conns int) {
	t.Helper()
	stop := make(chan struct{})
	done := make(chan int, 1)
	go func() { done <- flood(stop) }()
	during = scrapes(t, addr, 1000, time.Now().Add(window))
	close(stop)
	select {
	case conns = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("flood did not end within 30s")
	}
	return during, scrapes(t, addr, 10, time.Now().Add(window)), conns
}

// scrapes runs at most n scrapes of addr's /metrics, one every 200 ms,
// until deadline, and returns how long each took (curl's time_total). A
// scrape that is not a 200 fails the test.
func scrapes(t *testing.T, addr string, n int, deadline time.Time) []time.Duration {
	t.Helper()
	var took []time.Duration
	for i := 0; i < n && (i == 0 || time.Now().Before(deadline)); i++ {
		out, err := exec.Command("curl", "-sS", "-o", "/dev/null", "--max-time", "15",
			"-w", "%{http_code} %{time_total}", "http://"+addr+"/metrics").Output()
		code, secs, _ := strings.Cut(string(out), " ")
		s, perr := strconv.ParseFloat(secs, 64)
		if err != nil || code != "200" || perr != nil {
			t.Fatalf("curl /metrics = %q, %v; want a 200", out, err)
		}
		took = append(took, time.Duration(s*float64(time.Second)))
		time.Sleep(200 * time.Millisecond)
	}
	return took
}

// pcts renders the median and 99th percentile of ds.
func pcts(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p int) time.Duration { return s[(len(s)*p+99)/100-1] }
	return fmt.Sprintf("%v/%v (%d scrapes)", at(50).Round(100*time.Microsecond), at(99).Round(100*time.Microsecond), len(s))
}

// fdCount is how many file descriptors pid has open.
func fdCount(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("file descriptors of pid %d: %v", pid, err)
	}
	return len(ents)
}
