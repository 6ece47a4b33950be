package metrics

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/oneshot"
)

const indexPage = `<!DOCTYPE html>
<html><head><title>pkwatchdogd</title></head>
<body><h1>pkwatchdogd</h1><p><a href="/metrics">Metrics</a></p></body></html>
`

// Serve listens on addr and serves m at /metrics, and a small page linking
// to them at /, until ctx ends. It returns nil once ctx ended and the
// server shut down, or an error if it cannot listen or the server fails.
func Serve(ctx context.Context, log *zap.Logger, addr string, m *Metrics) error {
	ln, warn, err := oneshot.Listen(ctx, addr)
	if err != nil {
		return fmt.Errorf("metrics listen: %w", err)
	}
	if warn != nil {
		log.Warn("metrics listener without deferred accept", zap.Error(warn))
	}
	return ServeListener(ctx, log, ln, m)
}

// ServeListener is Serve on a listener the caller opened (for instance on
// port 0, to learn the address), best with oneshot.Listen. It closes ln.
//
// The server is package oneshot's: one request per connection, bounded
// reads and writes, at most oneshot.DefaultLimits.MaxConns scrapes at once.
func ServeListener(ctx context.Context, log *zap.Logger, ln net.Listener, m *Metrics) error {
	log.Info("metrics server listening", zap.String("listen", ln.Addr().String()))
	if err := oneshot.Serve(ctx, ln, Handler(m), oneshot.Limits{}); err != nil {
		return fmt.Errorf("metrics server: %w", err)
	}
	return nil
}

// Handler answers GET (and HEAD) /metrics with the metrics and / with a
// page linking to them; other paths get 404, other methods 405.
func Handler(m *Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		switch r.URL.Path {
		case "/metrics":
			w.Header().Set("Content-Type", ContentType)
			_, _ = m.WriteTo(w) // a scraper that went away needs no answer
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, indexPage)
		default:
			http.NotFound(w, r)
		}
	})
}
