//go:build bench

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/status"
)

// releaseBinaries are the binaries run.sh builds with the Makefile's own
// targets and flags (make dist and the OpenWrt binaries): every target of
// packaging/README.md, with its budget in MiB (the unit of every "MB"
// figure in these benches): 7.5, and 8.2 for mipsle, whose code is the
// largest (the budgets of issues #29 and #32, which brought the standard
// library's tar, multipart and request writing back, and the memory
// reader for Python stacks with debug/elf).
var releaseBinaries = []struct {
	file, target string
	budget       float64
}{
	{"pkwatchdogd-linux-amd64", "linux/amd64", 7.5},
	{"pkwatchdogd-linux-arm64", "linux/arm64 (also OpenWrt aarch64)", 7.5},
	{"pkwatchdogd-linux-armhf", "linux/arm GOARM=6 (Debian armhf)", 7.5},
	{"pkwatchdogd-openwrt-arm_cortex-a7_neon-vfpv4", "linux/arm GOARM=7 (OpenWrt arm)", 7.5},
	{"pkwatchdogd-openwrt-mipsel_24kc", "linux/mipsle softfloat (OpenWrt mipsel_24kc)", 8.2},
}

// TestFootprint measures what the daemon costs a small machine:
//
//   - binary-size: the stripped release binary of every target in
//     BENCH_DIST (built by run.sh), each against its budget;
//   - rss-1-vs-monit: the peak RSS (VmHWM) of the daemon watching one kite
//     flying through a real relay, probed every BENCH_FOOTPRINT_INTERVAL
//     (20s) for BENCH_FOOTPRINT_WINDOW (60s), against monit checking the
//     same page through the same relay at the same interval, side by side
//     in the same window. The daemon is the stripped amd64 release binary
//     (as the .deb installs it) on the shipped config (shippedConfig).
func TestFootprint(t *testing.T) {
	pktest.RequireRoot(t)
	pktest.PagekiteBinary(t)
	dist := os.Getenv("BENCH_DIST")
	if dist == "" {
		t.Fatalf("BENCH_DIST is not set: run bench/run.sh, which builds the release binaries")
	}
	t.Run("binary-size", func(t *testing.T) {
		var parts []string
		ok := true
		for _, b := range releaseBinaries {
			st, err := os.Stat(filepath.Join(dist, b.file))
			if err != nil {
				t.Fatalf("release binary: %v", err)
			}
			mib := float64(st.Size()) / (1 << 20)
			ok = ok && mib <= b.budget
			parts = append(parts, fmt.Sprintf("%s %.2f MB (%d bytes, <=%gMB)", b.target, mib, st.Size(), b.budget))
		}
		emit(t, "binary-size", "stripped release binaries: %s; target each within its budget (MiB) %s",
			strings.Join(parts, ", "), met(ok))
	})
	t.Run("rss-1-vs-monit", func(t *testing.T) { footprintRSS(t, filepath.Join(dist, "pkwatchdogd-linux-amd64")) })
}

// shippedConfig is configs/pkwatchdogd.toml as the .deb installs it
// (crash reports on, the default upload URL, every default), with only
// what a bench must change: its state_dir and status_file in dir, the log
// to stderr, the probe interval (as monit's), and the kites.
func shippedConfig(t *testing.T, dir string, interval time.Duration, kites ...kiteConf) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "configs", "pkwatchdogd.toml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for key, value := range map[string]string{
		"state_dir":   strconv.Quote(filepath.Join(dir, "state")),
		"status_file": strconv.Quote(filepath.Join(dir, "status.json")),
		"log_target":  `"stderr"`,
		"log_format":  `"json"`,
		"interval":    strconv.Quote(interval.String()), // [probe]'s, the first
	} {
		re := regexp.MustCompile(`(?m)^` + key + `\s*=.*$`)
		loc := re.FindStringIndex(text)
		if loc == nil {
			t.Fatalf("configs/pkwatchdogd.toml sets no %s", key)
		}
		text = text[:loc[0]] + key + " = " + value + text[loc[1]:]
	}
	var b strings.Builder
	b.WriteString(text + "\n")
	for _, k := range kites {
		fmt.Fprintf(&b, "[[kite]]\nname = %q\nurl = %q\nconnect_to = %q\n", k.Name, k.URL, k.ConnectTo)
	}
	return b.String()
}

func footprintRSS(t *testing.T, bin string) {
	// 20 s: the shipped config's probe timeout (10 s) must stay below it.
	interval := envDuration(t, "BENCH_FOOTPRINT_INTERVAL", 20*time.Second)
	window := envDuration(t, "BENCH_FOOTPRINT_WINDOW", 60*time.Second)
	const name = "foo.kite.test"
	dir := t.TempDir()
	relayPort := pktest.FreePort(t)
	relayAddr := fmt.Sprintf("127.0.0.1:%d", relayPort)
	startRelay(t, dir, relayPort, secret)
	web := pktest.StartWebServer(t)
	startKite(t, dir, name, relayPort, web, filepath.Join(dir, "kite.pid"))
	waitFlying(t, relayAddr, name, 30*time.Second)

	t.Setenv("PKWATCHDOGD_BIN", bin)
	daemon, logPath := startDaemonText(t, daemonConf{Dir: dir, DryRun: true},
		shippedConfig(t, dir, interval, kiteConf{Name: name, URL: "http://" + name + "/", ConnectTo: relayAddr}))
	defer daemon.stop(syscall.SIGTERM, 10*time.Second)

	mdir := t.TempDir()
	rc := filepath.Join(mdir, "monitrc")
	conf := fmt.Sprintf("set daemon %d\nset logfile %s\nset idfile %s\nset statefile %s\nset pidfile %s\n"+
		"check host kite with address 127.0.0.1\n  if failed port %d protocol http request \"/\" with http headers [Host: %s] with timeout 5 seconds for 3 cycles then alert\n",
		int(interval.Seconds()), filepath.Join(mdir, "monit.log"), filepath.Join(mdir, "monit.id"),
		filepath.Join(mdir, "monit.state"), filepath.Join(mdir, "monit.pid"), relayPort, name)
	if err := os.WriteFile(rc, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// -I: in the foreground, so that the PID is monit's own.
	monit := startProc(t, "monit", filepath.Join(mdir, "monit.out"), "monit", "-I", "-c", rc)
	defer monit.stop(syscall.SIGTERM, 10*time.Second)

	time.Sleep(window)
	for _, p := range []*proc{daemon, monit} {
		if _, st := p.exited(); st != nil {
			t.Fatalf("%s exited during the window: %v (daemon log %s)", p.name, st, logPath)
		}
	}
	// The daemon did probe: its status file shows the kite flying.
	f, err := status.Read(filepath.Join(dir, "status.json"))
	if err != nil || len(f.Kites) != 1 || f.Kites[0].Verdict != "flying" || f.Kites[0].LastProbe == "" {
		t.Fatalf("status file: %+v, %v; want the kite probed and flying (daemon log %s)", f, err, logPath)
	}
	ours, err := procHWM(daemon.pid())
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := procHWM(monit.pid())
	if err != nil {
		t.Fatal(err)
	}
	ratio := float64(ours) / float64(theirs)
	emit(t, "rss-1-vs-monit",
		"one kite flying through a real relay, checked every %v for %v: pkwatchdogd peak RSS %.1f MB (now %s), monit %.1f MB (now %s); pkwatchdogd / monit = %.2f target <=1.0 %s",
		interval, window, float64(ours)/(1<<20), rssParts(daemon.pid()), float64(theirs)/(1<<20), rssParts(monit.pid()), ratio, met(ratio <= 1.0))
}

// rssParts says what a process's resident set is made of now: anonymous
// memory (heap, stacks) and file pages (its binary and libraries).
func rssParts(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	var parts []string
	for _, line := range strings.Split(string(data), "\n") {
		for _, k := range []string{"RssAnon", "RssFile"} {
			if v, ok := strings.CutPrefix(line, k+":"); ok {
				parts = append(parts, strings.ToLower(strings.TrimPrefix(k, "Rss"))+" "+strings.Join(strings.Fields(v), " "))
			}
		}
	}
	return strings.Join(parts, ", ")
}
