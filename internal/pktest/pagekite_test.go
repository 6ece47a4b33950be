package pktest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// get fetches path through the relay with Host: host.
func get(t *testing.T, relay *Relay, host, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+relay.Addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := pollClient().Do(req)
	if err != nil {
		t.Fatalf("GET %s%s via %s: %v", host, path, relay.Addr, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestRelayAndKite(t *testing.T) {
	relay := StartRelay(t)
	if !relay.Ping() {
		t.Fatalf("Relay.Ping() = false after StartRelay, want true")
	}
	origin := StartWebServer(t)
	k := StartKite(t, relay, HTTPService("foo.kite.test", origin), RawService("foo.kite.test", 22, origin))
	k.WaitFlying(t, "foo.kite.test")

	resp, body := get(t, relay, "foo.kite.test", "/")
	if resp.Header.Get(OriginHeader) != "1" || body != OriginBody {
		t.Errorf("GET / through the relay = %d %q, want the origin's answer %q", resp.StatusCode, body, OriginBody)
	}

	// Raw: CONNECT, then speak HTTP to the origin through the tunnel.
	c, err := net.DialTimeout("tcp", relay.Addr, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "CONNECT foo.kite.test:22 HTTP/1.0\r\n\r\n")
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, " 200 ") {
		t.Fatalf("CONNECT foo.kite.test:22 = %q, %v, want 200", line, err)
	}
	for { // rest of the CONNECT answer, bounded by the deadline
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the CONNECT answer: %v", err)
		}
		if l == "\r\n" {
			break
		}
	}
	fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), OriginBody) {
		t.Errorf("raw tunnel answer = %q, want it to contain %q", rest, OriginBody)
	}

	// SIGSEGV: the kite dies, and the relay soon says it is not connected.
	if err := k.Signal(syscall.SIGSEGV); err != nil {
		t.Fatalf("Kite.Signal(SIGSEGV) = %v", err)
	}
	select {
	case <-k.Exited():
	case <-time.After(10 * time.Second):
		t.Fatalf("kite pid %d still running 10 s after SIGSEGV", k.PID)
	}
	if got, want := k.ExitState(), "signal: segmentation fault"; !strings.HasPrefix(got, want) {
		t.Errorf("Kite.ExitState() = %q, want %q", got, want)
	}
	if err := k.Signal(syscall.SIGTERM); err == nil {
		t.Errorf("Kite.Signal after exit = nil, want an error")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := get(t, relay, "foo.kite.test", "/")
		if strings.Contains(body, "Sorry! (fe)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("relay still routes foo.kite.test 10 s after the kite died: %q", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRelayErrorURL(t *testing.T) {
	relay := StartRelay(t, WithErrorURL("https://pagekite.net/offline/?"))
	resp, body := get(t, relay, "gone.kite.test", "/")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "where=FE") {
		t.Errorf("GET / for an absent kite = %d %q, want 503 with a where=FE frame", resp.StatusCode, body)
	}
}

func TestRelayStop(t *testing.T) {
	relay := StartRelay(t)
	relay.Stop()
	if done, _ := relay.Exited(); !done {
		t.Fatalf("Relay.Exited() = false after Stop, want true")
	}
	if relay.Ping() {
		t.Errorf("Relay.Ping() = true after Stop, want false")
	}
	relay.Stop() // a second Stop is harmless
}

func TestFreePortAndClosedAddr(t *testing.T) {
	if p := FreePort(t); p <= 0 || p > 65535 {
		t.Errorf("FreePort() = %d, want a port", p)
	}
	if c, err := net.DialTimeout("tcp", ClosedAddr(t), time.Second); err == nil {
		c.Close()
		t.Errorf("dial ClosedAddr() succeeded, want refused")
	}
}
