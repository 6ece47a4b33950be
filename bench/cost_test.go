//go:build bench

package bench

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// TestCostPerProbe compares the CPU time per probe of the original script's
// approach (a curl process piped into grep, per probe) with the running
// daemon's, both against the same relay and the same kites, which are not
// connected (the case the script looks for: the relay answers Down-FE).
//
// BENCH_COST_RUNS (default 3) runs, side by side: in each, first
// curl+grep: BENCH_COST_CURL_PROBES (default 300) pipelines, 25 at a time,
// their CPU RUSAGE_CHILDREN's growth (curl and grep only: no shell is
// counted, which favours the script); then pkwatchdogd: the daemon
// watching BENCH_COST_KITES (default 100) kites at a 5 s interval, its CPU
// from /proc/PID/stat over a BENCH_COST_WINDOW (default 20s) window, its
// probe count from its own /metrics. The daemon runs through every run,
// after a warm-up (every kite settled in its state). The relay's CPU is
// not counted on either side. The target holds for every run.
func TestCostPerProbe(t *testing.T) {
	pktest.RequireRoot(t)
	pktest.PagekiteBinary(t)
	daemonBinary(t)
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("curl is required: apt-get install -y curl")
	}
	grep, err := exec.LookPath("grep")
	if err != nil {
		t.Fatalf("grep is required")
	}
	curlProbes := envInt(t, "BENCH_COST_CURL_PROBES", 300)
	kites := envInt(t, "BENCH_COST_KITES", 100)
	window := envDuration(t, "BENCH_COST_WINDOW", 20*time.Second)
	runs := envInt(t, "BENCH_COST_RUNS", 3)

	dir := t.TempDir()
	relayPort := pktest.FreePort(t)
	relayAddr := fmt.Sprintf("127.0.0.1:%d", relayPort)
	startRelay(t, dir, relayPort, secret)

	// The probe package alone, in this process (its CPU includes this test
	// process's own overhead, which is small while it only waits).
	proberPer1000 := proberCost(t, relayAddr, curlProbes, kites)

	// The daemon, for every run.
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", pktest.FreePort(t))
	conf := daemonConf{
		Dir: dir, LogLevel: "info", MetricsListen: metricsAddr,
		Interval: 5 * time.Second, Jitter: 0.1, Timeout: 3 * time.Second, Concurrency: 64,
		Threshold: 3, Grace: time.Hour, Cooldown: time.Hour, DryRun: true,
		Pidfile: dir + "/none.pid", RespawnTimeout: time.Second,
	}
	for i := range kites {
		name := fmt.Sprintf("c%d.kite.test", i)
		conf.Kites = append(conf.Kites, kiteConf{Name: name, URL: "http://" + name + "/", ConnectTo: relayAddr})
	}
	daemon, logPath := startDaemon(t, conf)
	defer daemon.stop(syscall.SIGTERM, 10*time.Second)
	waitListening(t, metricsAddr, 10*time.Second)
	// Warm-up: every kite probed threshold+1 times, so settled in grace
	// (grace_period is an hour): the windows measure probing, not the
	// one-off transitions of the first probes.
	time.Sleep(time.Duration(conf.Threshold+1) * conf.Interval)

	var curlFirst float64
	worst := 0.0
	var ratios []string
	for run := range runs {
		curlPer1000 := curlCost(t, curl, grep, relayAddr, curlProbes, kites)
		if run == 0 {
			curlFirst = curlPer1000
		}
		c0, err := probeCounts(metricsAddr)
		if err != nil {
			t.Fatalf("metrics: %v (log %s)", err, logPath)
		}
		cpu := cpuOver(t, daemon.pid(), window)
		c1, err := probeCounts(metricsAddr)
		if err != nil {
			t.Fatalf("metrics: %v", err)
		}
		probes := sum(c1) - sum(c0)
		if probes < float64(kites) {
			t.Fatalf("daemon made %.0f probes in %v, want at least %d (log %s)", probes, window, kites, logPath)
		}
		daemonPer1000 := cpu.Seconds() / probes * 1000
		ratio := curlPer1000 / daemonPer1000
		if run == 0 || ratio < worst {
			worst = ratio
		}
		ratios = append(ratios, fmt.Sprintf("%.1fx", ratio))
		emit(t, fmt.Sprintf("cost-per-probe-run%d", run+1),
			"curl+grep %.2f CPU-s/1000 probes (%d probes), pkwatchdogd %.3f CPU-s/1000 probes (%.0f probes, %d kites, %v); curl+grep / pkwatchdogd = %.1fx target >=40x %s",
			curlPer1000, curlProbes, daemonPer1000, probes, kites, window, ratio, met(ratio >= 40))
	}
	for _, l := range readLog(t, logPath) {
		if l.Msg == "probe result" {
			t.Fatalf("the daemon logs every probe at info level: the cost measured would include logging")
		}
	}
	emit(t, "cost-per-probe-prober-only",
		"internal/probe in-process %.3f CPU-s/1000 probes (%d probes); curl+grep / prober = %.1fx (informative)",
		proberPer1000, curlProbes, curlFirst/proberPer1000)
	emit(t, "cost-per-probe",
		"curl+grep / pkwatchdogd over %d runs: %s; the lowest %.1fx target >=40x in every run %s",
		runs, strings.Join(ratios, ", "), worst, met(worst >= 40))
}

// curlCost runs n probes the script's way, 25 at a time, and returns their
// CPU time per 1000 probes. No other child of this process may be reaped
// meanwhile: the daemon and the relay run on.
func curlCost(t *testing.T, curl, grep, relayAddr string, n, kites int) float64 {
	t.Helper()
	before := rusageCPU(t, syscall.RUSAGE_CHILDREN)
	var wg sync.WaitGroup
	var mu sync.Mutex
	matched, failed := 0, 0
	sem := make(chan struct{}, 25)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ok, err := curlGrep(curl, grep, relayAddr, fmt.Sprintf("c%d.kite.test", i%kites))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
			} else if ok {
				matched++
			}
		}()
	}
	wg.Wait()
	cpu := rusageCPU(t, syscall.RUSAGE_CHILDREN) - before
	if failed > 0 || matched != n {
		t.Fatalf("curl|grep: %d of %d matched the relay's offline page, %d failed: the bench measures the wrong thing", matched, n, failed)
	}
	return cpu.Seconds() / float64(n) * 1000
}

// proberCost runs n probes with internal/probe in this process and returns
// their CPU time per 1000 probes.
func proberCost(t *testing.T, relayAddr string, n, kites int) float64 {
	t.Helper()
	prober := probe.New(probe.Options{Timeout: 3 * time.Second})
	before := rusageCPU(t, syscall.RUSAGE_SELF)
	verdicts := make(map[probe.Verdict]int)
	var wg sync.WaitGroup
	for i := 0; i < n; {
		m := min(25, n-i)
		res := make([]probe.Result, m)
		for j := range m {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("c%d.kite.test", (i+j)%kites)
				res[j] = prober.Probe(context.Background(), probe.Target{Name: name, Kind: probe.KindHTTP, URL: "http://" + name + "/", ConnectTo: relayAddr})
			}()
		}
		wg.Wait()
		for _, r := range res {
			verdicts[r.Verdict]++
		}
		i += m
	}
	cpu := rusageCPU(t, syscall.RUSAGE_SELF) - before
	if verdicts[probe.KiteDown] != n {
		t.Fatalf("probe package verdicts %v, want %d kite-down", verdicts, n)
	}
	return cpu.Seconds() / float64(n) * 1000
}

// curlGrep runs one probe the original script's way: curl fetches the
// kite's page through the relay and grep looks for the relay's offline
// marker (the script's pattern, plus the page of relays without an
// errorurl, which the script missed). ok: the marker was found.
func curlGrep(curl, grep, relayAddr, name string) (ok bool, err error) {
	c := exec.Command(curl, "-s", "--max-time", "10", "-H", "Host: "+name, "http://"+relayAddr+"/")
	g := exec.Command(grep, "-q", "-E", `pagekite\.net/offline/.*where=FE|Sorry! \(fe\)`)
	pipe, err := c.StdoutPipe()
	if err != nil {
		return false, fmt.Errorf("pipe: %w", err)
	}
	g.Stdin = pipe
	if err := c.Start(); err != nil {
		return false, fmt.Errorf("start curl: %w", err)
	}
	if err := g.Start(); err != nil {
		_ = c.Process.Kill()
		_ = c.Wait()
		return false, fmt.Errorf("start grep: %w", err)
	}
	gerr := g.Wait()
	cerr := c.Wait()
	if gerr == nil {
		return true, nil // curl may have died of SIGPIPE after grep -q matched
	}
	if cerr != nil {
		return false, fmt.Errorf("curl: %w", cerr)
	}
	return false, nil
}

// rusageCPU is the user+system CPU time of this process (who =
// syscall.RUSAGE_SELF) or of its reaped children (syscall.RUSAGE_CHILDREN).
func rusageCPU(t *testing.T, who int) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
