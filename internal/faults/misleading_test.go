package faults

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/discover"
	"github.com/pagekite/pkwatchdogd/internal/pklog"
	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// tlsAlertRelay serves s behind a listener that answers every TLS
// ClientHello with alert 49 (access denied), as a PageKite relay without a
// certificate for the name does; with alertsOnly, plain HTTP gets the same
// alert record (a relay that only speaks TLS alerts). A Go stand-in:
// Debian's 1.5.2 relay crashes on a ClientHello.
func tlsAlertRelay(t *testing.T, s *standInRelay, alertsOnly bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	alert := func(c net.Conn) net.Conn {
		_, _ = c.Write(pktest.AlertRecord)
		c.Close()
		return nil
	}
	var plain func(net.Conn) net.Conn
	if alertsOnly {
		plain = alert
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(pktest.SplitTLS(ln, alert, plain)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// misleadingScenarios are probes that once led to restarts that could not
// help: TLS alerts, a relay on another port than the kite's name says, a
// kite the relay rejects.
func misleadingScenarios() []scenario {
	const n = 3
	httpsKite := func(addr string) probe.Target {
		return probe.Target{Name: kite, URL: "https://" + kite + "/", ConnectTo: addr}
	}
	return []scenario{
		// A connected http kite behind a relay without a certificate for
		// it: alert 49 over TLS, the origin over plain HTTP.
		netScenario("TLS alert 49, kite connected (relay has no certificate)", 0, 0,
			func(t *testing.T) (probe.Target, *standInRelay) {
				s := &standInRelay{}
				return httpsKite(tlsAlertRelay(t, s, false)), s
			}, repeat(modeFlying, n), repeat(probe.Flying, n)),
		// The positive control: alert 49, and plain HTTP says Down-FE.
		{
			name: "TLS alert 49, relay says Down-FE over plain HTTP", wantRestarts: 1, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				s := &standInRelay{}
				target := httpsKite(tlsAlertRelay(t, s, false))
				return downThenUp(t, target, s, n)
			},
		},
		netScenario("relay that only speaks TLS alerts", 0, 0,
			func(t *testing.T) (probe.Target, *standInRelay) {
				s := &standInRelay{}
				return httpsKite(tlsAlertRelay(t, s, true)), s
			}, repeat(modeKiteDown, n), repeat(probe.Unrecognized, n)),
		{
			// Discovered from an rc dir whose frontend is a relay on
			// another port (the kite's name resolves nowhere): probed
			// there, so its kite-down is seen and one restart brings it
			// back. (Dialling NAME:443 saw nothing, for ever.)
			name: "relay on another port (the rc's frontend)", wantRestarts: 1, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				s, addr := startStandIn(t, modeFlying)
				rc := t.TempDir()
				body := "frontend = " + addr + "\nservice_on = http:" + kite + ":localhost:80:s3cret\n"
				if err := os.WriteFile(filepath.Join(rc, "10_kite.rc"), []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
				c := config.Default()
				c.Discovery.PagekiteDir = rc
				ins, err := discover.Instances(zap.NewNop(), &c, discover.System())
				if err != nil || len(ins) != 1 || len(ins[0].Targets) != 1 || ins[0].Targets[0].ConnectTo != addr {
					t.Fatalf("Instances() = %+v, %v; want one kite through %s", ins, err, addr)
				}
				return downThenUp(t, ins[0].Targets[0], s, n)
			},
		},
		netScenario("relay answering endless headers", 0, 0,
			func(t *testing.T) (probe.Target, *standInRelay) {
				return probe.Target{Name: kite, URL: "http://" + kite + "/", ConnectTo: endlessHeaders(t)}, nil
			}, nil, repeat(probe.Unrecognized, n)),
		{
			// The relay refuses the kite (wrong secret): Down-FE for
			// ever, and PageKite's log says err=Rejected. No restart.
			name: "kite rejected by the relay (wrong secret)", wantRestarts: 0, wantUploads: 0,
			run: func(t *testing.T) (int, int) {
				line := "ts=6b0e876a; t=2026-12-01T08:38:02; ll=3; FE=127.0.0.1:29555; err=Rejected; proto=http; reason=signature; domain=" + kite + "; id=s1\n"
				return withLog(t, line, func(string, int, bool) probe.Verdict { return probe.KiteDown }, 6*time.Hour)
			},
		},
		{
			// A remote client put "Rejected by front-end" into the
			// kite's log (pagekite.py 1.5.2 logs a refused
			// Authorization value; these lines are what it wrote here
			// for a password-protected kite): the wedged PageKite is
			// still restarted (it was never, with the text matched
			// anywhere in any line).
			name: "log injection: remote Authorization says rejected", wantRestarts: 1, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				lines := "ts=6b103d8f; t=2026-12-02T15:47:27; ll=5; GET=/; on_port=29871; proto=http; domain=" + kite + "; is=BE; remote_ip=127.0.0.1; forbidden-user=['Rejected by front-end']; err=No back-end; id=s2\n" +
					"ts=6b103d8f; t=2026-12-02T15:47:27; ll=6; GET=/; on_port=29871; proto=http; domain=" + kite + "; is=BE; remote_ip=127.0.0.1; forbidden-user=['Rejected as a duplicate by front-end']; err=No back-end; id=s3\n" +
					"ts=6b103d91; t=2026-12-02T15:47:29; ll=7; GET=/; on_port=29871; proto=http; domain=" + kite + "; is=BE; remote_ip=127.0.0.1; forbidden-user=['x, err=Rejected, proto=http, reason=x, domain=" + kite + "']; err=No back-end; id=s4\n"
				return withLog(t, lines, downUntilRestarted(0), 10*time.Minute)
			},
		},
		{
			// pagekitec refused by the relay, its log unreadable (syslog
			// without logread): only its -Y status file tells, and it
			// reads "connecting" for 3 s of every 60 s while pagekitec
			// retries (libpagekite 0.91's behaviour, written here in its
			// exact file shape: the real pagekitec is not installable
			// here). A retry is no cure: no restart in 10 minutes.
			name: "pagekitec rejected, status flips to connecting at each retry", wantRestarts: 0, wantUploads: 0,
			run: func(t *testing.T) (int, int) {
				statusFile := filepath.Join(t.TempDir(), "pagekitec.status")
				return inFakeTime(t, func(t *testing.T) (int, int) {
					write := func(status string) {
						body := `{"pagekitec_version": "0.91.251215C", "pagekitec_status": "` + status +
							`", "pagekitec_status_code": 60, "pagekitec_pid": 812, "pagekitec_update_min_interval": 240, "pagekitec_update_ts": ` +
							strconv.FormatInt(time.Now().Unix(), 10) + "}\n"
						if err := os.WriteFile(statusFile, []byte(body), 0o600); err != nil {
							t.Error(err)
						}
					}
					write("rejected")
					stop := make(chan struct{})
					done := make(chan struct{})
					go func() { // pagekitec retrying, bounded by stop
						defer close(done)
						for {
							select {
							case <-stop:
								return
							case <-time.After(57 * time.Second):
							}
							write("connecting")
							time.Sleep(3 * time.Second)
							write("rejected")
						}
					}()
					p := newScriptProber(100*time.Millisecond, verdicts(func(string, int, bool) probe.Verdict { return probe.KiteDown }))
					s := fakeSettings(kite)
					s.Instances[0].Log = &pklog.Source{StatusFile: statusFile, LogFile: filepath.Join(t.TempDir(), "absent.log"), Pagekitec: true}
					r := startRig(t, s, p, rigOptions{})
					time.Sleep(10 * time.Minute)
					r.stop()
					close(stop)
					<-done
					return r.restarts(), r.uploads()
				})
			},
		},
	}
}

// withLog runs one kite whose PageKite's log holds lines, probed with
// verdicts, for d of fake time, and returns the restarts and uploads.
func withLog(t *testing.T, lines string, verdict func(string, int, bool) probe.Verdict, d time.Duration) (int, int) {
	logFile := filepath.Join(t.TempDir(), "pagekite.log")
	if err := os.WriteFile(logFile, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	return inFakeTime(t, func(t *testing.T) (int, int) {
		p := newScriptProber(100*time.Millisecond, verdicts(verdict))
		s := fakeSettings(kite)
		s.Instances[0].Log = &pklog.Source{LogFile: logFile}
		r := startRig(t, s, p, rigOptions{})
		time.Sleep(d)
		r.stop()
		return r.restarts(), r.uploads()
	})
}

// endlessHeaders listens on 127.0.0.1 and answers every connection with a
// status line and a header that never end (at most 64 MiB each, bounded):
// what a hostile box on the relay's address may send.
func endlessHeaders(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				go func() { _, _ = io.Copy(io.Discard, c) }()
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-PageKite-UUID: ")
				junk := strings.Repeat("a", 64<<10)
				for i := 0; i < 1024; i++ {
					if _, err := io.WriteString(c, junk); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}
