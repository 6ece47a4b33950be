package pktest

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// pollClient returns the HTTP client of this package's polling: no
// keep-alive (every poll is a fresh connection, like a probe), no redirects,
// no proxy, a 3 s timeout.
func pollClient() *http.Client {
	return &http.Client{
		Timeout:       3 * time.Second,
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// freePort is FreePort without a testing.TB.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
