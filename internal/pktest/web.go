package pktest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// OriginBody is what StartWebServer's origin answers to every request.
const OriginBody = "hello from the origin\n"

// OriginHeader is a response header StartWebServer's origin sets (to
// "1"), so that tests can tell the origin's answer from a relay's.
const OriginHeader = "X-Pktest-Origin"

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// Another process may take it before the caller binds it; callers that
// start servers on it should retry with a new port when the bind fails.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("FreePort: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartWebServer starts a real HTTP server on 127.0.0.1, stopped when the
// test ends, and returns its address ("127.0.0.1:PORT"). It answers every
// request with 200, OriginHeader: 1 and OriginBody.
func StartWebServer(t testing.TB) string {
	t.Helper()
	return StartHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(OriginHeader, "1")
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, OriginBody)
	}))
}

// StartHandler starts a real HTTP server on 127.0.0.1 serving h, stopped
// when the test ends, and returns its address ("127.0.0.1:PORT").
func StartHandler(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// ClosedAddr returns "127.0.0.1:PORT" for a port nothing listens on (it
// was free a moment ago): a dial to it is refused.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", FreePort(t))
}
