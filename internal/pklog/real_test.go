package pklog

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// TestRealLogInjection runs Debian's pagekite as relay and as a kite
// whose kite asks for a password, and sends it requests whose
// Authorization header reads like a rejection: 1.5.2 logs each value as
// forbidden-user=[...] (#23). None reads as a rejection; a kite with a
// wrong secret, on the same relay, does (the positive control).
func TestRealLogInjection(t *testing.T) {
	relay := pktest.StartRelay(t)
	web := pktest.StartWebServer(t)
	name := "locked." + relay.Domain
	kite := pktest.StartKiteArgs(t, relay, []string{"--service_cfg=" + name + "/80:password/alice:wonder"},
		pktest.HTTPService(name, web))
	kite.WaitFlying(t, name)
	values := []string{
		"Rejected by front-end",
		"Rejected as a duplicate by front-end",
		"x; err=Rejected; proto=http; reason=signature; domain=" + name,
		"x\r\nts=1; t=x; ll=1; FE=" + relay.Addr + "; err=Rejected; proto=http; reason=x; domain=" + name,
	}
	for _, v := range values {
		get(t, relay.Addr, name, v)
	}
	waitLog(t, kite.LogFile, "forbidden-user=", 3)

	src := &Source{LogFile: kite.LogFile}
	if r, ok, err := src.Rejection(context.Background(), name, time.Now()); ok || err != nil {
		t.Errorf("Rejection(%s) = %+v, %v, %v: a remote Authorization value read as a rejection", name, r, ok, err)
	}
	// The same lines read as pagekitec's log: no rejection either.
	src = &Source{LogFile: kite.LogFile, Pagekitec: true}
	if r, ok, _ := src.Rejection(context.Background(), name, time.Now()); ok {
		t.Errorf("Rejection(as pagekitec) = %+v", r)
	}

	// The positive control: the relay refuses a kite with a wrong secret.
	bad := "bad." + relay.Domain
	wrong := *relay
	wrong.Secret = "not-the-secret"
	refused := pktest.StartKite(t, &wrong, pktest.HTTPService(bad, web))
	waitLog(t, refused.LogFile, "err=Rejected", 1)
	src = &Source{LogFile: refused.LogFile}
	r, ok, err := src.Rejection(context.Background(), bad, time.Now())
	if !ok || err != nil || r.Reason != "signature" || r.Source != refused.LogFile {
		t.Errorf("Rejection(%s, wrong secret) = %+v, %v, %v; want reason signature from %s", bad, r, ok, err, refused.LogFile)
	}
}

// get sends one GET for host through the relay with the given
// Authorization value (raw: a client may send anything) and reads the
// status line (bounded: 10 s).
func get(t *testing.T, relay, host, auth string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", relay, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nConnection: close\r\n\r\n", host, auth)
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("GET through the relay: %v", err)
	}
	if !strings.Contains(line, "401") {
		t.Logf("GET with Authorization %q: %s", auth, strings.TrimSpace(line))
	}
}

// waitLog waits (at most 15 s) until path has n lines containing s.
func waitLog(t *testing.T, path, s string, n int) {
	t.Helper()
	for end := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		data, _ := os.ReadFile(path)
		if strings.Count(string(data), s) >= n {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s: %d lines with %q in 15 s, want %d:\n%s", path, strings.Count(string(data), s), s, n, data)
		}
	}
}
