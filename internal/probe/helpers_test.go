package probe

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// testUUID is the X-PageKite-UUID of the Go relay stand-ins.
const testUUID = "0798c879e5df4afe38e3160071ee12b59d711a21"

// readAnswer parses a recorded HTTP answer from testdata.
func readAnswer(t testing.TB, name string) Answer {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return parseAnswer(t, b)
}

// parseAnswer parses a raw HTTP answer.
func parseAnswer(t testing.TB, b []byte) Answer {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), &http.Request{Method: http.MethodGet})
	if err != nil {
		t.Fatalf("parse recorded answer: %v", err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: body.Bytes()}
}

// standIn is a Go stand-in for a PageKite relay, used where Debian's real
// relay cannot produce the answer under test (frames, 403 refusals, TLS:
// Debian's 1.5.2 relay crashes on a TLS ClientHello) or where requests
// must be counted. Like a real relay it serves TLS and plain HTTP on one
// port, telling them apart by the first byte (0x16 = TLS handshake).
type standIn struct {
	Addr string
	// Requests counts the HTTP requests served, ping included.
	Requests atomic.Int64
	// Pings counts the relay pings served.
	Pings atomic.Int64
	// Hellos counts the TLS ClientHellos received.
	Hellos atomic.Int64

	ln      net.Listener
	srv     *http.Server
	tlsConf *tls.Config // nil: answer a ClientHello with alert 49
	printed bool        // answer a ClientHello with printedAlert
	wg      sync.WaitGroup
}

// standInOptions configure a standIn.
type standInOptions struct {
	// Ping: answer HEAD /ping for Host ping.pagekite with X-PageKite-UUID.
	Ping bool
	// TLS: the server config for TLS connections; nil sends alert 49.
	TLS *tls.Config
	// Printed: answer a ClientHello with printedAlert (a connected
	// Debian 1.5.2 kite whose HTTPS server is down), not an alert record.
	Printed bool
	// Handler answers every other request.
	Handler http.Handler
}

// startStandIn starts a standIn on 127.0.0.1, stopped when the test ends.
func startStandIn(t testing.TB, o standInOptions) *standIn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &standIn{Addr: ln.Addr().String(), ln: ln, tlsConf: o.TLS, printed: o.Printed}
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.Requests.Add(1)
			if r.Host == "ping.pagekite" && r.URL.Path == "/ping" {
				s.Pings.Add(1)
				if o.Ping {
					w.Header().Set(headerUUID, testUUID)
				}
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			if o.Handler == nil {
				http.NotFound(w, r)
				return
			}
			o.Handler.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          nil,
	}
	pl := pktest.SplitTLS(ln, s.hello, nil)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(pl)
	}()
	t.Cleanup(func() {
		_ = s.srv.Close()
		s.wg.Wait()
	})
	return s
}

// hello answers a ClientHello: with printedAlert (Printed), alert 49
// (no TLS config), or a TLS session.
func (s *standIn) hello(c net.Conn) net.Conn {
	s.Hellos.Add(1)
	switch {
	case s.printed:
		// Debian's pagekite 1.5.2 kite prints the alert it relays.
		_, _ = io.WriteString(c, printedAlert)
	case s.tlsConf == nil:
		_, _ = c.Write(pktest.AlertRecord)
	default:
		return tls.Server(c, s.tlsConf)
	}
	c.Close()
	return nil
}

// printedAlert is TLS alert 49 as Debian's pagekite 1.5.2 (Python 3)
// writes it when it relays one: the text of a Python bytes literal,
// measured byte for byte behind Debian's and PyPagekite 1.5.2.260113's
// relays.
const printedAlert = `b'\x15\x03\x03\x00\x02\x021'`

// serveAnswer returns a handler writing a recorded answer from testdata.
func serveAnswer(t testing.TB, name string) http.Handler {
	t.Helper()
	a := readAnswer(t, name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range a.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
	})
}

// selfSigned makes a certificate for names and a pool trusting it.
func selfSigned(t testing.TB, names ...string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// serveTCP accepts connections on 127.0.0.1 and hands each to handle in a
// goroutine of its own, with a 10 s deadline; t.Cleanup closes the
// listener and waits for the handlers. It returns the address.
func serveTCP(t testing.TB, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}
