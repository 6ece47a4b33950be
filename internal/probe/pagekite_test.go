package probe

import (
	"context"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// realOpts are Options for Debian's real relay, which takes up to ~1.2 s
// for some answers (probe.json for an absent kite, CONNECT refusals).
func realOpts() Options {
	return Options{Timeout: 4 * time.Second, UserAgent: "pkwatchdogd-test", RawQuiet: 500 * time.Millisecond}
}

// sshLike is a real local TCP service that greets like sshd.
func sshLike(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("SSH-2.0-pktest\r\n"))
			c.Close()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// TestProbeRealPagekite probes kites through Debian's real pagekite relay.
// Never over TLS: Debian's 1.5.2 relay crashes on a ClientHello (TLS is
// covered by the Go stand-ins in http_test.go).
func TestProbeRealPagekite(t *testing.T) {
	relay := pktest.StartRelay(t)
	origin := pktest.StartWebServer(t)
	ssh := sshLike(t)
	down := pktest.ClosedAddr(t)

	flying := pktest.StartKite(t, relay,
		pktest.HTTPService("fly."+relay.Domain, origin),
		pktest.RawService("fly."+relay.Domain, 22, ssh))
	backendDown := pktest.StartKite(t, relay,
		pktest.HTTPService("be."+relay.Domain, down),
		pktest.RawService("be."+relay.Domain, 22, down))
	flying.WaitFlying(t, "fly."+relay.Domain)
	backendDown.WaitFlying(t, "be."+relay.Domain)

	p := New(realOpts())
	httpTarget := func(name string) Target {
		return Target{Name: name, Kind: KindHTTP, URL: "http://" + name + "/", ConnectTo: relay.Addr}
	}
	rawTarget := func(name string) Target {
		return Target{Name: name, Kind: KindRaw, Port: 22, ConnectTo: relay.Addr}
	}
	tests := []struct {
		name   string
		target Target
		want   Verdict
		detail string
	}{
		{"http flying", httpTarget("fly.kite.test"), Flying, "origin answered"},
		{"http backend down", httpTarget("be.kite.test"), BackendDown, "Sorry! (be)"},
		{"http kite not connected", httpTarget("gone.kite.test"), KiteDown, "Down-FE"},
		{"raw flying", rawTarget("fly.kite.test"), Flying, "the service answers"},
		{"raw backend down", rawTarget("be.kite.test"), BackendDown, "then EOF"},
		{"raw kite not connected", rawTarget("gone.kite.test"), KiteDown, "503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Probe(context.Background(), tt.target)
			t.Logf("Probe(%s) = %s %q status %d in %v", tt.name, got.Verdict, got.Detail, got.Status, got.Duration)
			if got.Verdict != tt.want || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("Probe(%s) = %s %q, want %s with %q", tt.name, got.Verdict, got.Detail, tt.want, tt.detail)
			}
		})
	}
	if done, how := relay.Exited(); done {
		t.Fatalf("the relay died during the probes: %s", how)
	}

	// Frozen (SIGSTOP), the kite keeps its tunnel at the relay, which
	// answers CONNECT with 200 and then nothing comes: stalled for an ssh
	// kite, never flying (#19).
	if err := flying.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("Kite.Signal(SIGSTOP) = %v", err)
	}
	frozen := p.Probe(context.Background(), rawTarget("fly.kite.test"))
	t.Logf("Probe(raw, frozen kite) = %s %q status %d in %v", frozen.Verdict, frozen.Detail, frozen.Status, frozen.Duration)
	if err := flying.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("Kite.Signal(SIGCONT) = %v", err)
	}
	if frozen.Verdict != Stalled {
		t.Errorf("Probe(raw, frozen kite) = %s %q, want stalled", frozen.Verdict, frozen.Detail)
	}

	// The flying kite is killed as the watchdog would: the relay soon says
	// kite-down for it.
	if err := flying.Signal(syscall.SIGSEGV); err != nil {
		t.Fatalf("Kite.Signal(SIGSEGV) = %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := p.Probe(context.Background(), httpTarget("fly.kite.test"))
		if got.Verdict == KiteDown {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Probe(fly.kite.test) 15 s after SIGSEGV = %s %q, want kite-down", got.Verdict, got.Detail)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestProbeRealRelayStopped: a relay that was stopped is unreachable.
func TestProbeRealRelayStopped(t *testing.T) {
	relay := pktest.StartRelay(t)
	relay.Stop()
	got := New(realOpts()).Probe(context.Background(), Target{Name: "x.kite.test", URL: "http://x.kite.test/", ConnectTo: relay.Addr})
	if got.Verdict != Unreachable || !strings.Contains(got.Detail, "refused") {
		t.Errorf("Probe(stopped relay) = %s %q, want unreachable, refused", got.Verdict, got.Detail)
	}
}
