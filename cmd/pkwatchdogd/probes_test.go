package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/logging"
	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/status"
)

// checkJSON runs check --json and returns its exit status and results.
func checkJSON(t *testing.T, path string) (int, []probe.Result, string) {
	t.Helper()
	code, out, errOut := runCmd(t, "check", "--config", path, "--json")
	var results []probe.Result
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("check --json: %v\nstdout: %s\nstderr: %s", err, out, errOut)
	}
	return code, results, errOut
}

// TestDiscoveredKiteThroughItsFrontend: a kite discovered in an rc dir
// whose frontend is a real Debian relay on another port than 443 (and
// whose name resolves nowhere) is probed through that relay, over plain
// HTTP: flying every time, and the relay (which crashes on a TLS
// ClientHello) keeps its PID. Stopped, the same kite is kite-down through
// that relay.
func TestDiscoveredKiteThroughItsFrontend(t *testing.T) {
	relay := pktest.StartRelay(t)
	web := pktest.StartWebServer(t)
	name := "fe." + relay.Domain
	kite := pktest.StartKite(t, relay, pktest.HTTPService(name, web))
	kite.WaitFlying(t, name)

	rc := t.TempDir()
	host, port, _ := strings.Cut(web, ":")
	rcText := fmt.Sprintf("kitename = %s\nkitesecret = %s\nfrontend = %s\nservice_on = http:@kitename:%s:%s:@kitesecret\n",
		name, relay.Secret, relay.Addr, host, port)
	if err := os.WriteFile(filepath.Join(rc, "10_account.rc"), []byte(rcText), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, fmt.Sprintf("[probe]\ntimeout = \"4s\"\n[[pagekite]]\nname = \"main\"\nrc_dir = %q\n", rc))

	code, out, errOut := runCmd(t, "validate", "--config", path)
	want := fmt.Sprintf("http://%s/ through relay %s (frontend = %s)", name, relay.Addr, relay.Addr)
	if code != exitOK || !strings.Contains(out, want) {
		t.Fatalf("validate = %d, %q %q; want 0 and %q", code, out, errOut, want)
	}
	const probes = 15
	for i := 0; i < probes; i++ {
		code, results, errOut := checkJSON(t, path)
		if code != exitOK || len(results) != 1 || results[0].Verdict != probe.Flying || results[0].Relay != relay.Addr {
			t.Fatalf("check %d = %d, %+v, %s; want 0, flying through %s", i, code, results, errOut, relay.Addr)
		}
	}
	if exited, how := relay.Exited(); exited || !relay.Ping() {
		t.Fatalf("after %d probes the relay (pid %d) exited %v (%s) or does not answer its ping", probes, relay.PID, exited, how)
	}
	t.Logf("relay pid %d alive and answering after %d probes", relay.PID, probes)

	kite.Stop()
	var last []probe.Result
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		code, results, _ := checkJSON(t, path)
		last = results
		if code == exitDown {
			break
		}
	}
	if len(last) != 1 || last[0].Verdict != probe.KiteDown || last[0].Relay != relay.Addr {
		t.Fatalf("check after the kite stopped = %+v, want kite-down through %s", last, relay.Addr)
	}
}

// TestRejectedKiteNotRestarted runs the daemon (in-process) over a real
// Debian pagekite whose secret the real relay refuses: the process lives,
// the relay says Down-FE, and the kite's log says err=Rejected. Over
// several grace periods it must get no SIGSEGV; the status says rejected;
// the warning with MsgKiteRejected is logged once; check exits 1 and says
// what to fix.
func TestRejectedKiteNotRestarted(t *testing.T) {
	bin := pktest.PagekiteBinary(t)
	relay := pktest.StartRelay(t)
	web := pktest.StartWebServer(t)
	dir := t.TempDir()
	wrong := *relay
	wrong.Secret = "not-the-relays-secret"
	name := "bad." + relay.Domain
	pidFile, kiteLog := filepath.Join(dir, "kite.pid"), filepath.Join(dir, "kite.log")
	sup := pktest.Supervise(t, append(pktest.KiteArgv(bin, &wrong, kiteLog, pktest.HTTPService(name, web)), "--pidfile="+pidFile),
		pktest.SuperviseOptions{MaxRestarts: 3, Dir: dir})
	waitPID(t, pidFile, 20*time.Second)
	waitLogged(t, kiteLog, "err=Rejected", 20*time.Second)

	path := writeConfig(t, fmt.Sprintf(`
[probe]
interval = "2s"
jitter = 0.0
timeout = "1900ms"
[policy]
failure_threshold = 1
grace_period = "1s"
cooldown = "1s"
min_process_age = "0s"
startup_delay = "0s"
[restart]
unit = ""
diagnostics = false
[report]
enabled = false
[[pagekite]]
name = "main"
pidfile = %q
log_file = %q
`, pidFile, kiteLog)+kiteEntry(name, relay.Addr))

	code, results, errOut := checkJSON(t, path)
	if code != exitDown || len(results) != 1 || results[0].Verdict != probe.Rejected || !strings.Contains(errOut, "secret") {
		t.Errorf("check = %d, %+v, %q; want 1, rejected, advice about the secret", code, results, errOut)
	}

	d := runInProcess(t, path)
	time.Sleep(12 * time.Second) // six probes, several grace periods
	st, err := status.Read(filepath.Join(filepath.Dir(path), "state", "status.json"))
	d.stop(t)
	out := &d.out
	if err != nil {
		t.Fatalf("status.Read() = %v", err)
	}
	if n := sup.Restarts(); n != 0 {
		t.Errorf("the rejected kite's pagekite was restarted %d times (exits %q), want never", n, sup.Exits())
	}
	if len(st.Kites) != 1 || st.Kites[0].Verdict != string(probe.Rejected) || !strings.Contains(st.Kites[0].Detail, "reason=signature") {
		t.Errorf("status kites = %+v, want one rejected, reason=signature", st.Kites)
	}
	if n := strings.Count(out.String(), logging.MsgKiteRejected); n != 1 {
		t.Errorf("the daemon logged MESSAGE_ID %s %d times, want once:\n%s", logging.MsgKiteRejected, n, out.String())
	}
}

// TestRelayCacheZeroIsOff: probe.relay_cache = "0s" asks the relay's ping
// for every probe that needs it; a positive value asks once.
func TestRelayCacheZeroIsOff(t *testing.T) {
	var pings atomic.Int64
	relay := pktest.StartHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-PageKite-UUID", "0123456789abcdef0123456789abcdef01234567")
		if r.Host == "ping.pagekite" {
			pings.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Del("X-PageKite-UUID") // the origin's answer
		_, _ = io.WriteString(w, "hello")
	}))
	for _, tt := range []struct {
		cache string
		want  int64
	}{{"0s", 3}, {"1m", 1}} {
		pings.Store(0)
		var errOut bytes.Buffer
		cfg, code := loadConfig(writeConfig(t, fmt.Sprintf("[probe]\nrelay_cache = %q\n", tt.cache)+kiteEntry("a.kite.test", relay)), &errOut)
		if cfg == nil {
			t.Fatalf("loadConfig: %d %s", code, errOut.String())
		}
		p := newProber(cfg)
		for i := 0; i < 3; i++ {
			if res := p.Probe(context.Background(), probe.Target{Name: "a.kite.test", ConnectTo: relay}); res.Verdict != probe.Flying {
				t.Fatalf("relay_cache %s: probe %d = %s %q, want flying", tt.cache, i, res.Verdict, res.Detail)
			}
		}
		if got := pings.Load(); got != tt.want {
			t.Errorf("relay_cache = %q: %d relay pings for 3 probes, want %d", tt.cache, got, tt.want)
		}
	}
}

// TestDiscoveredKiteOnItsPublicPort: a kite whose rc file fixes its public
// port (service_on = http/PORT:...) is served by the relay on that port
// only; on the relay's other port (the rc's frontend) Debian's 1.5.2
// relay answers "503 Unavailable", not connected, although the kite flies
// (#19: probed there it was kite-down for ever, and restarted). Discovery
// probes it on its public port: flying.
func TestDiscoveredKiteOnItsPublicPort(t *testing.T) {
	relay := pktest.StartRelay(t, pktest.WithSecondPort())
	web := pktest.StartWebServer(t)
	name := "pub." + relay.Domain
	pub := strconv.Itoa(relay.SecondPort)
	host, port, _ := strings.Cut(web, ":")
	svc := pktest.Service{Proto: "http/" + pub, Name: name, Backend: web}
	kite := pktest.StartKite(t, relay, svc)
	onPublic := "127.0.0.1:" + pub
	// WaitFlying asks through relay.Addr, where this kite is not served:
	// ask on its public port, bounded.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if code := httpStatus(t, onPublic, name); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kite %s not flying on %s within 30s", name, onPublic)
		}
	}
	if code := httpStatus(t, relay.Addr, name); code != 503 {
		t.Fatalf("on the relay's other port: %d, want 503 (the relay serves the kite on its public port only)", code)
	}

	rc := t.TempDir()
	rcText := fmt.Sprintf("kitename = %s\nkitesecret = %s\nfrontend = %s\nservice_on = http/%s:@kitename:%s:%s:@kitesecret\n",
		name, relay.Secret, relay.Addr, pub, host, port)
	if err := os.WriteFile(filepath.Join(rc, "10_account.rc"), []byte(rcText), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, fmt.Sprintf("[probe]\ntimeout = \"4s\"\n[[pagekite]]\nname = \"main\"\nrc_dir = %q\n", rc))
	code, out, errOut := runCmd(t, "validate", "--config", path)
	want := fmt.Sprintf("through relay %s (frontend = %s, on the kite's public port %s)", onPublic, relay.Addr, pub)
	if code != exitOK || !strings.Contains(out, want) {
		t.Fatalf("validate = %d, %q %q; want 0 and %q", code, out, errOut, want)
	}
	code, results, errOut := checkJSON(t, path)
	if code != exitOK || len(results) != 1 || results[0].Verdict != probe.Flying {
		t.Fatalf("check = %d, %+v, %s; want flying on the public port", code, results, errOut)
	}
	kite.Stop()
}

// httpStatus is the status of GET / for host through addr (0 on error;
// bounded: 5 s).
func httpStatus(t *testing.T, addr, host string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", host)
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return 0
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}
