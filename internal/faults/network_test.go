package faults

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// The network faults are probed for real: internal/probe over real sockets
// on 127.0.0.1, against Go stand-ins for a relay (Debian's 1.5.2 relay
// cannot be made to answer 403, 502 or a captive portal's page, and crashes
// on a TLS ClientHello). Their real results are then replayed into the loop
// for hours of fake time.

// relayMode is how the stand-in relay answers.
type relayMode int32

const (
	// modeFlying: a genuine relay with the kite connected; the origin
	// answers.
	modeFlying relayMode = iota
	// modeKiteDown: a genuine relay without the kite: Down-FE.
	modeKiteDown
	// modeClosing: every connection is closed without an answer (the
	// relay restarting).
	modeClosing
	// modeCaptive: a captive portal answers everything with its login page.
	modeCaptive
	// modeProxy502: a proxy that cannot reach anything answers 502.
	modeProxy502
	// modeForbidden: the relay refuses us (403, where=FE) but answers its
	// ping.
	modeForbidden
)

const relayUUID = "0123456789abcdef0123456789abcdef01234567"

// standInRelay answers like a PageKite relay in the mode set last.
type standInRelay struct {
	mode atomic.Int32
}

func (s *standInRelay) set(m relayMode) { s.mode.Store(int32(m)) }

func (s *standInRelay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ping := r.Host == "ping.pagekite" && r.URL.Path == "/ping"
	switch relayMode(s.mode.Load()) {
	case modeClosing:
		if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
			c.Close()
		}
	case modeCaptive:
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><title>Hotel WiFi</title><form action=/login>Room number: <input name=room></form></html>\n"))
	case modeProxy502:
		w.Header().Set("Server", "squid/5.7")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><h1>ERROR</h1>The requested URL could not be retrieved</html>\n"))
	case modeForbidden:
		w.Header().Set("X-PageKite-UUID", relayUUID)
		if ping {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<html><frameset cols="*"><frame target="_top" src="https://pagekite.net/offline/?&amp;where=FE&amp;proto=http&amp;domain=a.kite.test" /><noframes><h1>Sorry! (fe)</h1></noframes></frameset></html>` + "\n"))
	case modeKiteDown:
		if ping {
			w.Header().Set("X-PageKite-UUID", relayUUID)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path == "/~:PageKite:~/"+kite+"/probe.json" {
			w.Header().Set("X-PageKite-Status", "Down-FE")
			_, _ = w.Write([]byte(`{"pagekite-status": "down-fe"}`))
			return
		}
		w.Header().Set("X-PageKite-UUID", relayUUID)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("<html><body><h1>Sorry! (fe)</h1></body></html>\n"))
	default: // modeFlying
		if ping {
			w.Header().Set("X-PageKite-UUID", relayUUID)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set(pktest.OriginHeader, "1")
		_, _ = w.Write([]byte(pktest.OriginBody))
	}
}

// startStandIn starts a stand-in relay on 127.0.0.1 in mode m.
func startStandIn(t *testing.T, m relayMode) (*standInRelay, string) {
	t.Helper()
	s := &standInRelay{}
	s.set(m)
	return s, pktest.StartHandler(t, s)
}

// realProber is the real prober with short timeouts and no relay cache, so
// that each probe asks the stand-in afresh.
func realProber() *probe.Prober {
	return probe.New(probe.Options{Timeout: 500 * time.Millisecond, RelayCacheTTL: -1})
}

// probeAll probes target once per mode (set before each probe, if relay is
// not nil) and checks the verdicts.
func probeAll(t *testing.T, target probe.Target, relay *standInRelay, modes []relayMode, want []probe.Verdict) []probe.Result {
	t.Helper()
	p := realProber()
	var out []probe.Result
	for i, v := range want {
		if relay != nil {
			relay.set(modes[i])
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res := p.Probe(ctx, target)
		cancel()
		if res.Verdict != v {
			t.Errorf("Probe(%s) #%d = %s (%s), want %s", target.ConnectTo, i, res.Verdict, res.Detail, v)
		}
		out = append(out, res)
	}
	return out
}

// replay runs the loop for six hours of fake time on the recorded results:
// `before` in a cycle until the kite is restarted, `after` (in a cycle)
// from then on.
func replay(t *testing.T, before, after []probe.Result) (int, int) {
	t.Helper()
	if len(before) == 0 {
		t.Fatal("no recorded results to replay")
	}
	if len(after) == 0 {
		after = before
	}
	return inFakeTime(t, func(t *testing.T) (int, int) {
		var sinceRestart int
		p := newScriptProber(100*time.Millisecond, func(_ string, n int, restarted bool, _ time.Time) probe.Result {
			if !restarted {
				return before[n%len(before)]
			}
			sinceRestart++ // one kite: its probes never overlap
			return after[(sinceRestart-1)%len(after)]
		})
		r := startRig(t, fakeSettings(kite), p, rigOptions{})
		time.Sleep(6 * time.Hour)
		r.stop()
		return r.restarts(), r.uploads()
	})
}

// downThenUp probes target for real n times while relay says the kite is
// not connected (each must be kite-down), then n times while it flies
// (each flying), and replays the first until the restart, the second
// after it.
func downThenUp(t *testing.T, target probe.Target, relay *standInRelay, n int) (int, int) {
	t.Helper()
	down := probeAll(t, target, relay, repeat(modeKiteDown, n), repeat(probe.KiteDown, n))
	up := probeAll(t, target, relay, repeat(modeFlying, n), repeat(probe.Flying, n))
	if t.Failed() {
		return -1, -1
	}
	return replay(t, down, up)
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// netScenario probes target (through relay, mode by mode) for real, then
// replays the results.
func netScenario(name string, wantRestarts, wantUploads int, setup func(t *testing.T) (probe.Target, *standInRelay), modes []relayMode, want []probe.Verdict) scenario {
	return scenario{
		name: name, wantRestarts: wantRestarts, wantUploads: wantUploads,
		run: func(t *testing.T) (int, int) {
			target, relay := setup(t)
			res := probeAll(t, target, relay, modes, want)
			if t.Failed() {
				return -1, -1
			}
			return replay(t, res, nil)
		},
	}
}

// standIn sets up a stand-in relay as the kite's relay, plain HTTP.
func standIn(t *testing.T) (probe.Target, *standInRelay) {
	s, addr := startStandIn(t, modeFlying)
	return probe.Target{Name: kite, Kind: probe.KindHTTP, URL: "http://" + kite + "/", ConnectTo: addr}, s
}

func networkScenarios() []scenario {
	const n = 3
	return []scenario{
		{
			// The positive control: a genuine relay says Down-FE; the
			// restart brings the kite back.
			name: "relay says kite down (real probe)", wantRestarts: 1, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				target, relay := standIn(t)
				return downThenUp(t, target, relay, n)
			},
		},
		netScenario("relay down (connection refused)", 0, 0,
			func(t *testing.T) (probe.Target, *standInRelay) {
				return probe.Target{Name: kite, URL: "http://" + kite + "/", ConnectTo: pktest.ClosedAddr(t)}, nil
			}, nil, repeat(probe.Unreachable, n)),
		netScenario("DNS failing", 0, 0,
			func(t *testing.T) (probe.Target, *standInRelay) {
				// An invalid name (empty label): the resolver (Go's or
				// glibc's) fails it without sending a query anywhere
				// (checked with strace: no packet leaves the machine).
				return probe.Target{Name: kite, URL: "http://" + kite + "/", ConnectTo: "relay..invalid:80"}, nil
			}, nil, repeat(probe.Unreachable, n)),
		netScenario("black-hole timeouts", 0, 0,
			func(t *testing.T) (probe.Target, *standInRelay) {
				return probe.Target{Name: kite, URL: "http://" + kite + "/", ConnectTo: pktest.BlackHole(t, "127.0.0.1")}, nil
			}, nil, repeat(probe.Unreachable, n)),
		netScenario("TLS errors (unknown certificate)", 0, 0,
			func(t *testing.T) (probe.Target, *standInRelay) {
				srv := httptest.NewUnstartedServer(&standInRelay{})
				srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshakes
				srv.StartTLS()
				t.Cleanup(srv.Close)
				return probe.Target{Name: kite, URL: "https://" + kite + "/", ConnectTo: srv.Listener.Addr().String()}, nil
			}, nil, repeat(probe.Unreachable, n)),
		netScenario("captive portal", 0, 0, standIn,
			repeat(modeCaptive, n), repeat(probe.Unrecognized, n)),
		netScenario("proxy 502", 0, 0, standIn,
			repeat(modeProxy502, n), repeat(probe.Unrecognized, n)),
		netScenario("relay 403 (where=FE)", 0, 0, standIn,
			repeat(modeForbidden, n), repeat(probe.Unrecognized, n)),
		// The relay restarts now and then: closed connections, then
		// Down-FE until the kite reconnects, never three in a row.
		netScenario("relay flapping", 0, 0, standIn,
			[]relayMode{modeFlying, modeClosing, modeClosing, modeKiteDown, modeFlying, modeClosing, modeKiteDown, modeKiteDown, modeFlying},
			[]probe.Verdict{probe.Flying, probe.Unreachable, probe.Unreachable, probe.KiteDown, probe.Flying, probe.Unreachable, probe.KiteDown, probe.KiteDown, probe.Flying}),
	}
}
