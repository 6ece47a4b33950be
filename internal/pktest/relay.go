package pktest

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Defaults of the relays StartRelay starts.
const (
	// RelayDomain is the domain the relay accepts kites for: kite names
	// must be NAME.kite.test.
	RelayDomain = "kite.test"
	// RelaySecret is the shared kite secret unless WithSecret says otherwise.
	RelaySecret = "s3cret-pktest"
)

// relayStartTimeout bounds how long StartRelay waits for the relay to
// answer its ping (it usually takes under a second).
const relayStartTimeout = 15 * time.Second

// Relay is a running pagekite front-end (relay) on 127.0.0.1.
type Relay struct {
	// Addr is where the relay listens, "127.0.0.1:PORT" (HTTP, raw CONNECT).
	Addr string
	// Port is Addr's port.
	Port int
	// PID is the relay process's PID.
	PID int
	// Secret is the secret kites must use.
	Secret string
	// Domain is the domain kites must be under (RelayDomain).
	Domain string
	// LogFile is the relay's --logfile.
	LogFile string
	// Argv is the relay's command line, argv[0] included.
	Argv []string
	// SecondPort is a second port the relay listens on (WithSecondPort),
	// 0 when none.
	SecondPort int

	p *proc
}

// RelayOption changes how StartRelay starts the relay.
type RelayOption func(*relayConfig)

type relayConfig struct {
	secret     string
	errorURL   string
	extra      []string
	secondPort bool
}

// WithSecondPort makes the relay listen on a second free port too
// (Relay.SecondPort): kites with a fixed public port (http/PORT) are
// served on that port only.
func WithSecondPort() RelayOption {
	return func(c *relayConfig) { c.secondPort = true }
}

// WithSecret sets the kite secret the relay accepts.
func WithSecret(secret string) RelayOption {
	return func(c *relayConfig) { c.secret = secret }
}

// WithErrorURL passes --errorurl=URL: the relay's offline pages then frame
// URL (like pagekite.net's "https://pagekite.net/offline/?").
func WithErrorURL(url string) RelayOption {
	return func(c *relayConfig) { c.errorURL = url }
}

// WithRelayArgs appends raw pagekite options to the relay's command line.
func WithRelayArgs(args ...string) RelayOption {
	return func(c *relayConfig) { c.extra = append(c.extra, args...) }
}

// StartRelay starts Debian's pagekite as a relay on a free port of
// 127.0.0.1, accepting http and raw/22 kites under RelayDomain, and waits
// until it answers its ping. t.Cleanup stops it by PID. It skips (or fails
// under CI) when pagekite is not installed.
//
// Never send a TLS ClientHello to it: Debian's 1.5.2 relay crashes on one.
func StartRelay(t testing.TB, opts ...RelayOption) *Relay {
	t.Helper()
	bin := PagekiteBinary(t)
	cfg := relayConfig{secret: RelaySecret}
	for _, o := range opts {
		o(&cfg)
	}
	dir := t.TempDir()
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		r, err := startRelay(bin, dir, attempt, cfg)
		if err == nil {
			t.Cleanup(func() {
				r.Stop()
				logTail(t, "pagekite relay log", r.LogFile)
			})
			return r
		}
		lastErr = err
	}
	t.Fatalf("StartRelay: %v", lastErr)
	return nil
}

// startRelay makes one attempt on one free port.
func startRelay(bin, dir string, attempt int, cfg relayConfig) (*Relay, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile := filepath.Join(dir, fmt.Sprintf("relay-%d.log", attempt))
	ports, second := strconv.Itoa(port), 0
	if cfg.secondPort {
		if second, err = freePort(); err != nil {
			return nil, err
		}
		ports += "," + strconv.Itoa(second)
	}
	argv := []string{bin,
		"--clean", "--isfrontend",
		"--ports=" + ports,
		"--protos=http,https,raw",
		"--rawports=virtual",
		"--domain=http,raw-22,https:*." + RelayDomain + ":" + cfg.secret,
		"--nullui",
		"--logfile=" + logFile,
	}
	if cfg.errorURL != "" {
		argv = append(argv, "--errorurl="+cfg.errorURL)
	}
	argv = append(argv, cfg.extra...)
	p, err := startProc(argv, dir, filepath.Join(dir, fmt.Sprintf("relay-%d.out", attempt)))
	if err != nil {
		return nil, err
	}
	r := &Relay{
		Addr:    fmt.Sprintf("127.0.0.1:%d", port),
		Port:    port,
		PID:     p.cmd.Process.Pid,
		Secret:  cfg.secret,
		Domain:  RelayDomain,
		LogFile: logFile,
		Argv:    argv,
		p:       p,

		SecondPort: second,
	}
	if err := r.waitPing(relayStartTimeout); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

// waitPing polls HEAD /ping (Host: ping.pagekite) until the relay answers
// with X-PageKite-UUID, the process exits, or timeout passes.
func (r *Relay) waitPing(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if r.p.exited() {
			return fmt.Errorf("relay pid %d exited before answering its ping: %s", r.PID, r.p.exitState())
		}
		if r.Ping() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("relay pid %d did not answer its ping within %v", r.PID, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Ping reports whether the relay answers HEAD /ping with Host: ping.pagekite
// and an X-PageKite-UUID header, within 2 seconds.
func (r *Relay) Ping() bool {
	req, err := http.NewRequest(http.MethodHead, "http://"+r.Addr+"/ping", nil)
	if err != nil {
		return false
	}
	req.Host = "ping.pagekite"
	resp, err := pollClient().Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.Header.Get("X-PageKite-UUID") != ""
}

// Stop ends the relay by PID (SIGTERM, then SIGKILL) and reaps it. It may be
// called more than once.
func (r *Relay) Stop() { r.p.stop(3 * time.Second) }

// Exited reports whether the relay process has ended (for example after a
// crash), and how.
func (r *Relay) Exited() (bool, string) { return r.p.exited(), r.p.exitState() }
