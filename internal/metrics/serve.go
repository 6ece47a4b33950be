package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// shutdownTimeout bounds how long Serve waits for scrapes in flight once
// its context ends.
const shutdownTimeout = 5 * time.Second

const indexPage = `<!DOCTYPE html>
<html><head><title>pkwatchdogd</title></head>
<body><h1>pkwatchdogd</h1><p><a href="/metrics">Metrics</a></p></body></html>
`

// Serve listens on addr and serves m at /metrics, and a small page linking
// to them at /, until ctx ends. It returns nil once ctx ended and the
// server shut down, or an error if it cannot listen or the server fails.
func Serve(ctx context.Context, log *zap.Logger, addr string, m *Metrics) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics listen: %w", err)
	}
	return ServeListener(ctx, log, ln, m)
}

// ServeListener is Serve on a listener the caller opened (for instance on
// port 0, to learn the address). It closes ln.
func ServeListener(ctx context.Context, log *zap.Logger, ln net.Listener, m *Metrics) error {
	srv := &http.Server{
		Handler:           Handler(m),
		ReadHeaderTimeout: 10 * time.Second,
		// A scrape is small; a scraper that reads it slower than this is
		// cut off rather than holding a connection.
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     zap.NewStdLog(log),
	}
	log.Info("metrics server listening", zap.String("listen", ln.Addr().String()))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("metrics server shutdown: %w", err)
	}
	return nil
}

// Handler returns the HTTP handler Serve uses: /metrics and /.
func Handler(m *Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		_, _ = m.WriteTo(w) // a scraper that went away needs no answer
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(indexPage))
	})
	return mux
}
