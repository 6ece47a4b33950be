package pktest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kiteFlyingTimeout bounds WaitFlying. A fresh kite usually connects in
// under a second; a restarted one may wait much longer (see the reference).
const kiteFlyingTimeout = 30 * time.Second

// Service is one service_on line of a kite.
type Service struct {
	// Proto is "http" or "raw/PORT" (e.g. "raw/22").
	Proto string
	// Name is the kite name, under the relay's domain: "foo.kite.test".
	Name string
	// Backend is the local server, "127.0.0.1:PORT".
	Backend string
}

// HTTPService is an http service for name, forwarded to backend.
func HTTPService(name, backend string) Service {
	return Service{Proto: "http", Name: name, Backend: backend}
}

// RawService is a raw service (CONNECT name:port) for name, forwarded to
// backend.
func RawService(name string, port int, backend string) Service {
	return Service{Proto: fmt.Sprintf("raw/%d", port), Name: name, Backend: backend}
}

// Kite is a running pagekite connecting to a Relay.
type Kite struct {
	// PID is the kite process's PID.
	PID int
	// Argv is the kite's command line, argv[0] included: a test supervisor
	// can start the same kite again with it.
	Argv []string
	// LogFile is the kite's --logfile.
	LogFile string
	// Relay is the relay the kite connects to.
	Relay *Relay
	// Services are the kite's services.
	Services []Service

	p *proc
}

// KiteArgv is the command line StartKite uses: pagekite at bin as a kite of
// relay with the given services, logging to logFile.
func KiteArgv(bin string, relay *Relay, logFile string, services ...Service) []string {
	argv := []string{bin, "--clean", "--frontend=" + relay.Addr}
	for _, s := range services {
		host, port, _ := strings.Cut(s.Backend, ":")
		argv = append(argv, fmt.Sprintf("--service_on=%s:%s:%s:%s:%s", s.Proto, s.Name, host, port, relay.Secret))
	}
	// keepalive=1800: Debian's 1.5.2 relay drops a tunnel on the kite's
	// keepalive PING (every ~116 s by default).
	return append(argv, "--keepalive=1800", "--nullui", "--logfile="+logFile)
}

// StartKite starts Debian's pagekite as a kite of relay with services (at
// least one). It does not wait for the kite to connect: call WaitFlying.
// t.Cleanup stops it by PID.
func StartKite(t testing.TB, relay *Relay, services ...Service) *Kite {
	t.Helper()
	return StartKiteArgs(t, relay, nil, services...)
}

// StartKiteArgs is StartKite with extra arguments after KiteArgv's (e.g.
// "--service_cfg=NAME/80:password/USER:PASS").
func StartKiteArgs(t testing.TB, relay *Relay, extra []string, services ...Service) *Kite {
	t.Helper()
	if len(services) == 0 {
		t.Fatalf("StartKite: no services")
	}
	bin := PagekiteBinary(t)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "kite.log")
	argv := append(KiteArgv(bin, relay, logFile, services...), extra...)
	p, err := startProc(argv, dir, filepath.Join(dir, "kite.out"))
	if err != nil {
		t.Fatalf("StartKite: %v", err)
	}
	k := &Kite{PID: p.cmd.Process.Pid, Argv: argv, LogFile: logFile, Relay: relay, Services: services, p: p}
	t.Cleanup(func() {
		k.Stop()
		logTail(t, "pagekite kite log", k.LogFile)
	})
	return k
}

// Stop ends the kite by PID (SIGTERM, then SIGKILL) and reaps it. It may be
// called more than once.
func (k *Kite) Stop() { k.p.stop(3 * time.Second) }

// Signal sends sig to the kite by PID. It returns an error wrapping
// os.ErrProcessDone once the kite has exited.
func (k *Kite) Signal(sig os.Signal) error { return k.p.signal(sig) }

// Exited returns a channel closed once the kite process has exited and been
// reaped.
func (k *Kite) Exited() <-chan struct{} { return k.p.done }

// ExitState is how the kite ended ("signal: segmentation fault"), "" while
// it runs.
func (k *Kite) ExitState() string { return k.p.exitState() }

// WaitFlying waits (up to 30 s) until the relay routes requests for name to
// this kite: for an http service, a GET of / through the relay no longer
// answers "Sorry! (fe)"; for a raw-only name, CONNECT name:port answers 200.
// The backend need not be up. It fails the test on timeout or if the kite
// exits.
func (k *Kite) WaitFlying(t testing.TB, name string) {
	t.Helper()
	var svc *Service
	for i := range k.Services {
		s := &k.Services[i]
		if s.Name != name {
			continue
		}
		if svc == nil || s.Proto == "http" {
			svc = s
		}
	}
	if svc == nil {
		t.Fatalf("Kite.WaitFlying(%q): the kite has no service for it", name)
	}
	deadline := time.Now().Add(kiteFlyingTimeout)
	last := ""
	for {
		ok, why := k.connected(*svc)
		if ok {
			return
		}
		last = why
		if k.p.exited() {
			t.Fatalf("Kite.WaitFlying(%q): kite pid %d exited: %s", name, k.PID, k.p.exitState())
		}
		if time.Now().After(deadline) {
			t.Fatalf("Kite.WaitFlying(%q): not flying after %v: %s", name, kiteFlyingTimeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// connected asks the relay once whether it routes svc to a kite.
func (k *Kite) connected(svc Service) (bool, string) {
	if svc.Proto == "http" {
		req, err := http.NewRequest(http.MethodGet, "http://"+k.Relay.Addr+"/", nil)
		if err != nil {
			return false, err.Error()
		}
		req.Host = svc.Name
		resp, err := pollClient().Do(req)
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if strings.Contains(string(body), "Sorry! (fe)") {
			return false, "relay answers Sorry! (fe)"
		}
		return true, ""
	}
	port := strings.TrimPrefix(svc.Proto, "raw/")
	c, err := net.DialTimeout("tcp", k.Relay.Addr, 3*time.Second)
	if err != nil {
		return false, err.Error()
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := fmt.Fprintf(c, "CONNECT %s:%s HTTP/1.0\r\n\r\n", svc.Name, port); err != nil {
		return false, err.Error()
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return false, err.Error()
	}
	if strings.Contains(line, " 200 ") {
		return true, ""
	}
	return false, strings.TrimSpace(line)
}
