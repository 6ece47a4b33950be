//go:build bench

package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// secret is the kite secret of every bench relay and kite.
const secret = "s3cret"

// envInt reads a positive integer knob from the environment.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// envDuration reads a positive duration knob from the environment.
func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a positive duration", name, v)
	}
	return d
}

// met renders whether a target was met.
func met(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// emit prints one result line ("BENCH name: ...") on stdout, where run.sh
// picks it up, and appends it to $BENCH_RESULTS when that is set.
func emit(t *testing.T, name, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf("BENCH %s: %s", name, fmt.Sprintf(format, args...))
	fmt.Println(line)
	if path := os.Getenv("BENCH_RESULTS"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatalf("open results file: %v", err)
		}
		defer f.Close()
		if _, err := fmt.Fprintln(f, line); err != nil {
			t.Fatalf("write results file: %v", err)
		}
	}
}

// waitListening polls addr until it accepts a TCP connection and returns
// the time it first did; it fails the test after timeout.
func waitListening(t *testing.T, addr string, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			at := time.Now()
			c.Close()
			return at
		}
		if time.Now().After(deadline) {
			t.Fatalf("waitListening(%s): nothing listening after %v: %v", addr, timeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// proc is a child process started by a bench, ended by PID at cleanup.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}

	mu sync.Mutex // guards exitAt and state
	// exitAt is when Wait returned; state how the process ended.
	exitAt time.Time
	state  *os.ProcessState
}

// startProc starts argv with its output in logPath and reaps it in the
// background; t.Cleanup kills it (SIGKILL by PID) if it still runs.
func startProc(t *testing.T, name, logPath string, argv ...string) *proc {
	t.Helper()
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("create %s: %v", logPath, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	out.Close()
	// No core dumps: writing one would delay the death that the detection
	// bench times, and fill the disk over many runs.
	_ = unix.Prlimit(cmd.Process.Pid, unix.RLIMIT_CORE, &unix.Rlimit{}, nil)
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		p.mu.Lock()
		p.exitAt, p.state = time.Now(), cmd.ProcessState
		p.mu.Unlock()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

// pid is the process's PID.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// kill ends the process with SIGKILL, by PID, and waits until it is reaped.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop sends sig and waits up to timeout for the process to end, then
// kills it.
func (p *proc) stop(sig syscall.Signal, timeout time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.kill()
	}
}

// exited reports how and when the process ended (zero values while it runs).
func (p *proc) exited() (time.Time, *os.ProcessState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitAt, p.state
}

// relayArgv is Debian's pagekite as a relay on port with a wildcard domain,
// so that any NAME.kite.test is a kite of this relay.
func relayArgv(t *testing.T, port int, secret, logPath string) []string {
	t.Helper()
	return []string{pktest.PagekiteBinary(t), "--clean", "--isfrontend",
		"--ports=" + strconv.Itoa(port), "--protos=http,raw", "--rawports=virtual",
		"--domain=http,raw-22:*.kite.test:" + secret, "--nullui", "--logfile=" + logPath}
}

// startRelay starts a relay on port and waits until it listens; listening
// is the moment it first accepted a connection.
func startRelay(t *testing.T, dir string, port int, secret string) (p *proc, listening time.Time) {
	t.Helper()
	name := fmt.Sprintf("relay-%d-%d", port, time.Now().UnixNano())
	p = startProc(t, "relay", filepath.Join(dir, name+".out"),
		relayArgv(t, port, secret, filepath.Join(dir, name+".log"))...)
	return p, waitListening(t, fmt.Sprintf("127.0.0.1:%d", port), 15*time.Second)
}

// startKite starts a kite for name through the relay on relayPort, serving
// web ("127.0.0.1:PORT"), writing its PID to pidfile.
func startKite(t *testing.T, dir, name string, relayPort int, web, pidfile string) *proc {
	t.Helper()
	argv := []string{pktest.PagekiteBinary(t), "--clean",
		fmt.Sprintf("--frontend=127.0.0.1:%d", relayPort),
		fmt.Sprintf("--service_on=http:%s:%s:%s", name, web, secret),
		"--keepalive=1800", "--nullui", "--logfile=" + filepath.Join(dir, "kite.log"),
		"--pidfile=" + pidfile}
	return startProc(t, "kite", filepath.Join(dir, "kite.out"), argv...)
}

// httpStatus sends GET path with Host: host to the relay at addr and returns
// the status code (0 on a transport error).
func httpStatus(addr, host, path string, timeout time.Duration) int {
	req, err := http.NewRequest("GET", "http://"+addr+path, nil)
	if err != nil {
		return 0
	}
	req.Host = host
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode
}

// waitFlying polls the relay until the kite's page is the origin's (200).
func waitFlying(t *testing.T, relayAddr, name string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if httpStatus(relayAddr, name, "/", 3*time.Second) == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kite %s not flying through %s after %v", name, relayAddr, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// daemonBinary is the built daemon: $PKWATCHDOGD_BIN or ../bin/pkwatchdogd.
func daemonBinary(t *testing.T) string {
	t.Helper()
	p := os.Getenv("PKWATCHDOGD_BIN")
	if p == "" {
		p = filepath.Join("..", "bin", "pkwatchdogd")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatalf("daemon binary path: %v", err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("daemon binary %s: %v (run make build, or set PKWATCHDOGD_BIN)", abs, err)
	}
	return abs
}

// kiteConf is one [[kite]] of a daemon config.
type kiteConf struct{ Name, URL, ConnectTo string }

// daemonConf is the part of the daemon's config that the benches vary.
type daemonConf struct {
	Dir            string // state_dir, status file, reports
	MetricsListen  string
	LogLevel       string
	Interval       time.Duration
	Jitter         float64
	Timeout        time.Duration
	Concurrency    int
	Threshold      int
	Grace          time.Duration
	Cooldown       time.Duration
	DryRun         bool
	Pidfile        string
	RespawnTimeout time.Duration
	Kites          []kiteConf
}

// toml renders c as a pkwatchdogd config file.
func (c daemonConf) toml() string {
	var b strings.Builder
	q := strconv.Quote
	d := func(x time.Duration) string { return q(x.String()) }
	fmt.Fprintf(&b, "state_dir = %s\nstatus_file = %s\nlog_level = %s\nlog_target = \"stderr\"\nlog_format = \"json\"\nmetrics_listen = %s\n\n",
		q(filepath.Join(c.Dir, "state")), q(filepath.Join(c.Dir, "status.json")), q(c.LogLevel), q(c.MetricsListen))
	fmt.Fprintf(&b, "[probe]\ninterval = %s\njitter = %g\ntimeout = %s\nconcurrency = %d\n\n",
		d(c.Interval), c.Jitter, d(c.Timeout), c.Concurrency)
	fmt.Fprintf(&b, "[policy]\nfailure_threshold = %d\ngrace_period = %s\ncooldown = %s\nmax_cooldown = %s\nmax_restarts = 100\nrestart_window = \"1h\"\nmin_process_age = \"0s\"\nstartup_delay = \"0s\"\n\n",
		c.Threshold, d(c.Grace), d(c.Cooldown), d(c.Cooldown))
	fmt.Fprintf(&b, "[restart]\ndry_run = %t\nmethod = \"signal\"\npidfile = %s\nsignal = \"SIGSEGV\"\ndiagnostics = false\nkill_timeout = \"5s\"\nrespawn_timeout = %s\n\n",
		c.DryRun, q(c.Pidfile), d(c.RespawnTimeout))
	// Reports on, as shipped, to a collector on loopback that refuses
	// (port 1): the benches that restart build their reports and try to
	// send them, and nothing leaves the machine.
	fmt.Fprintf(&b, "[report]\nenabled = true\nurl = \"http://127.0.0.1:1/cgi-bin/crashes.pl\"\nlog_file = %s\n\n", q(filepath.Join(c.Dir, "kite.log")))
	for _, k := range c.Kites {
		fmt.Fprintf(&b, "[[kite]]\nname = %s\nurl = %s\n", q(k.Name), q(k.URL))
		if k.ConnectTo != "" {
			fmt.Fprintf(&b, "connect_to = %s\n", q(k.ConnectTo))
		}
	}
	return b.String()
}

// startDaemon writes c's config and runs the daemon on it; its JSON log
// goes to the returned path.
func startDaemon(t *testing.T, c daemonConf) (*proc, string) {
	t.Helper()
	return startDaemonText(t, c, c.toml())
}

// startDaemonText is startDaemon with the config text given (c gives its
// directory and --dry-run).
func startDaemonText(t *testing.T, c daemonConf, text string) (*proc, string) {
	t.Helper()
	bin := daemonBinary(t)
	if err := os.MkdirAll(filepath.Join(c.Dir, "state"), 0o755); err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	cfg := filepath.Join(c.Dir, "pkwatchdogd.toml")
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatalf("write config: %v", err)
	}
	logPath := filepath.Join(c.Dir, "pkwatchdogd.log")
	argv := []string{bin, "run", "--config", cfg}
	if c.DryRun {
		argv = append(argv, "--dry-run")
	}
	p := startProc(t, "pkwatchdogd", logPath, argv...)
	t.Cleanup(func() {
		if t.Failed() {
			p.kill()
			logTail(t, logPath, 20)
		}
	})
	return p, logPath
}

// logTail logs the last n lines of the file at path.
func logTail(t *testing.T, path string, n int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Logf("read %s: %v", path, err)
		return
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	t.Logf("last lines of %s:\n%s", filepath.Base(path), strings.Join(lines, "\n"))
}

// logLine is one line of the daemon's JSON log, the fields the benches use.
type logLine struct {
	TS       time.Time
	Msg      string
	Kite     string
	Verdict  string
	Duration time.Duration
}

// readLog parses the daemon's JSON log; lines that are not JSON are skipped.
func readLog(t *testing.T, path string) []logLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open daemon log: %v", err)
	}
	defer f.Close()
	var out []logLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var raw struct {
			TS       string `json:"ts"`
			Msg      string `json:"msg"`
			Kite     string `json:"kite"`
			Verdict  string `json:"verdict"`
			Duration string `json:"duration"`
		}
		if json.Unmarshal(sc.Bytes(), &raw) != nil {
			continue
		}
		l := logLine{Msg: raw.Msg, Kite: raw.Kite, Verdict: raw.Verdict}
		l.TS, _ = time.Parse("2006-01-02T15:04:05.000Z0700", raw.TS)
		l.Duration, _ = time.ParseDuration(raw.Duration)
		out = append(out, l)
	}
	return out
}

// userHZ is the unit of /proc/PID/stat's CPU times (fixed by the kernel ABI).
const userHZ = 100

// cpuOver is the CPU time (user + system) that process pid spends in the
// next window.
func cpuOver(t *testing.T, pid int, window time.Duration) time.Duration {
	t.Helper()
	before, err := procCPU(pid)
	if err != nil {
		t.Fatalf("CPU of pid %d: %v", pid, err)
	}
	time.Sleep(window)
	after, err := procCPU(pid)
	if err != nil {
		t.Fatalf("CPU of pid %d: %v", pid, err)
	}
	return after - before
}

// procCPU returns the user+system CPU time that pid has used.
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read stat: %w", err)
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+1:])
	// After the command: state(3) ... utime is field 14, stime 15 (1-based).
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed stat times")
	}
	return time.Duration(ut+st) * time.Second / userHZ, nil
}

// procHWM returns the peak resident set size of pid in bytes (VmHWM).
func procHWM(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read status: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmHWM %q: %w", v, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("no VmHWM")
}

// probeCounts scrapes the daemon's /metrics and returns the number of
// probes per kite (pkwatchdogd_probe_verdicts_total summed over verdicts).
func probeCounts(addr string) (map[string]float64, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("scrape: status %d", resp.StatusCode)
	}
	counts := make(map[string]float64)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	const metric = "pkwatchdogd_probe_verdicts_total{"
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric) {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[end+1:]), 64)
		if err != nil {
			continue
		}
		labels := line[len(metric):end]
		_, after, ok := strings.Cut(labels, `kite="`)
		if !ok {
			continue
		}
		kite, _, _ := strings.Cut(after, `"`)
		counts[kite] += v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	return counts, nil
}

// sum adds up the values of m.
func sum(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}
