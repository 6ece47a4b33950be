//go:build bench

package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/status"
)

// scaleSetup is what the scale runs share: one relay with a wildcard domain
// and one black hole.
type scaleSetup struct {
	dir       string
	relayAddr string
	holeAddr  string
}

// newScaleSetup starts the relay and the black hole.
func newScaleSetup(t *testing.T) scaleSetup {
	t.Helper()
	dir := t.TempDir()
	port := pktest.FreePort(t)
	startRelay(t, dir, port, secret)
	return scaleSetup{dir: dir, relayAddr: fmt.Sprintf("127.0.0.1:%d", port), holeAddr: pktest.BlackHole(t, "127.0.0.2")}
}

// holes is how many of n kites are black-holed.
func holes(n int) int {
	if n < 10 {
		return 0
	}
	return (n + 9) / 10
}

// kites returns n kites: every tenth one (none when n < 10) black-holed,
// the others not connected to the relay (it answers Down-FE for them).
func (s scaleSetup) kites(n int) []kiteConf {
	out := make([]kiteConf, n)
	for i := range out {
		name := fmt.Sprintf("s%d.kite.test", i)
		to := s.relayAddr
		if n >= 10 && i%10 == 0 {
			to = s.holeAddr
		}
		out[i] = kiteConf{Name: name, URL: "http://" + name + "/", ConnectTo: to}
	}
	return out
}

// TestScale runs the daemon (dry run) over 1, 100, 1000 and 5000 kites
// (BENCH_SCALE_KITES, comma-separated), one after another, against one real
// relay, 10% of the kites black-holed (a listener on 127.0.0.2 that accepts
// and never answers). For each: the time until every kite has been probed
// once (from the daemon's start, read from its status file twice a second),
// its CPU share over BENCH_SCALE_CPU_WINDOW (default 20s) after that first
// round, and its peak RSS (VmHWM). Metrics are off, as by default.
//
// Interval BENCH_SCALE_INTERVAL (default 60s, the default interval),
// timeout BENCH_SCALE_TIMEOUT (default 5s), concurrency
// BENCH_SCALE_CONCURRENCY (default 256: the Debian relay takes 1.1 s per
// probe.json answer, so 5000 kites at 60 s need about 100 probes in flight).
// Then monit checks the BENCH_MONIT_KITES (default 100) kite set once
// (`monit validate`, one cycle), with the same timeout.
func TestScale(t *testing.T) {
	pktest.RequireRoot(t)
	pktest.PagekiteBinary(t)
	daemonBinary(t)
	interval := envDuration(t, "BENCH_SCALE_INTERVAL", 60*time.Second)
	timeout := envDuration(t, "BENCH_SCALE_TIMEOUT", 5*time.Second)
	concurrency := envInt(t, "BENCH_SCALE_CONCURRENCY", 256)
	window := envDuration(t, "BENCH_SCALE_CPU_WINDOW", 20*time.Second)
	sizes := []int{1, 100, 1000, 5000}
	if v := os.Getenv("BENCH_SCALE_KITES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				t.Fatalf("BENCH_SCALE_KITES=%q: want positive integers", v)
			}
			sizes = append(sizes, n)
		}
	}
	setup := newScaleSetup(t)
	if _, err := exec.LookPath("monit"); err != nil {
		t.Fatalf("monit is required for the comparison: apt-get install -y monit")
	}
	// monit runs its one cycle alongside the daemon's runs: it sends one
	// request at a time, which does not load the relay.
	monitKites := envInt(t, "BENCH_MONIT_KITES", 100)
	monitDone := startMonitCycle(t, setup, monitKites, timeout)
	rounds := map[int]time.Duration{}
	for _, n := range sizes {
		t.Run(fmt.Sprintf("kites=%d", n), func(t *testing.T) {
			round, done := scaleOnce(t, setup, n, interval, timeout, concurrency, window)
			rounds[n] = round
			bound := interval + timeout
			emit(t, fmt.Sprintf("scale-round-%d", n),
				"%d kites (%d black-holed), interval %v, timeout %v, concurrency %d: full round in %.1fs (%d/%d kites probed), bound interval+timeout %v, ratio %.2f target <=1 %s",
				n, holes(n), interval, timeout, concurrency, round.Seconds(), done, n, bound, round.Seconds()/bound.Seconds(), met(done == n && round <= bound))
		})
	}

	n := monitKites
	cycle, checks := monitDone()
	perTarget := cycle.Seconds() / float64(n)
	line := fmt.Sprintf("monit checks %d targets one after another: one cycle %.1fs (%d checks, %.2fs per target, so about %.0fs for 1000 targets)",
		n, cycle.Seconds(), checks, perTarget, perTarget*1000)
	if r, ok := rounds[n]; ok {
		line += fmt.Sprintf("; pkwatchdogd's round over the same %d targets %.1fs", n, r.Seconds())
	}
	if r, ok := rounds[1000]; ok {
		line += fmt.Sprintf(", over 1000 targets %.1fs", r.Seconds())
	}
	emit(t, "scale-monit", "%s (informative)", line)
}

// scaleOnce runs the daemon over n kites and emits its RSS and CPU lines;
// it returns the time to the first full round and how many kites it probed.
func scaleOnce(t *testing.T, s scaleSetup, n int, interval, timeout time.Duration, concurrency int, window time.Duration) (time.Duration, int) {
	dir := t.TempDir()
	conf := daemonConf{
		Dir: dir, LogLevel: "info",
		Interval: interval, Jitter: 0.1, Timeout: timeout, Concurrency: concurrency,
		Threshold: 3, Grace: 5 * time.Minute, Cooldown: 10 * time.Minute, DryRun: true,
		Pidfile: filepath.Join(dir, "none.pid"), RespawnTimeout: time.Second,
		Kites: s.kites(n),
	}
	started := time.Now()
	daemon, logPath := startDaemon(t, conf)
	defer daemon.stop(syscall.SIGTERM, 10*time.Second)

	// The first round: every kite probed at least once, as the status file
	// says (it is written within about a second of a kite's first verdict;
	// reading it costs the daemon nothing).
	statusPath := filepath.Join(dir, "status.json")
	deadline := started.Add(interval + 3*timeout + 30*time.Second)
	done := 0
	var round time.Duration
	for {
		time.Sleep(500 * time.Millisecond)
		if _, st := daemon.exited(); st != nil {
			t.Fatalf("daemon exited: %v (log %s)", st, logPath)
		}
		f, err := status.Read(statusPath)
		if err != nil {
			if time.Now().After(deadline) {
				t.Fatalf("status file: %v", err)
			}
			continue
		}
		done = 0
		for _, k := range f.Kites {
			if k.LastProbe != "" {
				done++
			}
		}
		round = time.Since(started)
		if done >= n || time.Now().After(deadline) {
			break
		}
	}

	// CPU share in steady state.
	cpu := cpuOver(t, daemon.pid(), window)
	hwm, err := procHWM(daemon.pid())
	if err != nil {
		t.Fatalf("daemon RSS: %v", err)
	}
	share := cpu.Seconds() / window.Seconds() * 100
	// Scale the share to the default 60 s interval when another was used:
	// the work is per probe.
	share60 := share * interval.Seconds() / 60
	mb := float64(hwm) / (1 << 20)
	var rssTarget string
	switch n {
	case 1:
		rssTarget = fmt.Sprintf("target <=15MB %s", met(mb <= 15))
	case 1000:
		rssTarget = fmt.Sprintf("target <=24MB %s", met(mb <= 24))
	case 5000:
		rssTarget = fmt.Sprintf("target <=64MB %s", met(mb <= 64))
	default:
		rssTarget = "(informative)"
	}
	emit(t, fmt.Sprintf("scale-rss-%d", n), "%d kites: peak RSS %.1f MB %s", n, mb, rssTarget)
	cpuTarget := "(informative)"
	switch n {
	case 1000:
		cpuTarget = fmt.Sprintf("target <=1%% %s", met(share60 <= 1))
	case 5000:
		cpuTarget = fmt.Sprintf("target <=1.5%% %s", met(share60 <= 1.5))
	}
	emit(t, fmt.Sprintf("scale-cpu-%d", n), "%d kites: CPU %.3f%% of one core at a %v interval over %v (%.3f%% at 60s) %s",
		n, share, interval, window, share60, cpuTarget)
	return round, done
}

// startMonitCycle starts one monit cycle (`monit validate`) over the same n
// targets as the daemon, each `if failed port P protocol http request "/"
// with http headers [Host: NAME] with timeout T for 3 cycles then alert`;
// the function it returns waits for the cycle to end and returns its length
// and how many checks monit logged.
func startMonitCycle(t *testing.T, s scaleSetup, n int, timeout time.Duration) func() (time.Duration, int) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "set daemon 60\nset logfile %s\nset idfile %s\nset statefile %s\nset pidfile %s\n",
		filepath.Join(dir, "monit.log"), filepath.Join(dir, "monit.id"), filepath.Join(dir, "monit.state"), filepath.Join(dir, "monit.pid"))
	for i, k := range s.kites(n) {
		host, port, _ := strings.Cut(k.ConnectTo, ":")
		fmt.Fprintf(&b, "check host k%d with address %s\n  if failed port %s protocol http request \"/\" with http headers [Host: %s] with timeout %d seconds for 3 cycles then alert\n",
			i, host, port, k.Name, int(timeout.Seconds()))
	}
	rc := filepath.Join(dir, "monitrc")
	if err := os.WriteFile(rc, []byte(b.String()), 0o600); err != nil {
		t.Fatalf("write monitrc: %v", err)
	}
	if out, err := exec.Command("monit", "-c", rc, "-t").CombinedOutput(); err != nil {
		t.Fatalf("monit -t: %v\n%s", err, out)
	}
	began := time.Now()
	// validate: one cycle over every check, then exit (status 1: checks
	// failed, as they must here). Bounded by the process's own end, well
	// within n*(timeout+2s).
	p := startProc(t, "monit", filepath.Join(dir, "monit.out"), "monit", "-c", rc, "validate")
	return func() (time.Duration, int) {
		t.Helper()
		select {
		case <-p.done:
		case <-time.After(time.Duration(n) * (timeout + 2*time.Second)):
			t.Fatalf("monit validate did not end")
		}
		ended, _ := p.exited()
		cycle := ended.Sub(began)
		data, err := os.ReadFile(filepath.Join(dir, "monit.log"))
		if err != nil {
			t.Fatalf("read monit log: %v", err)
		}
		checks := strings.Count(string(data), "failed protocol test")
		if checks != n {
			t.Fatalf("monit logged %d failed checks, want %d (every target is down or black-holed)", checks, n)
		}
		return cycle, checks
	}
}
