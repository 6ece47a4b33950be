// Command collector is the pkwatchdogd demo's stand-in for PageKite.net's
// crash-report endpoint: an HTTPS server on loopback, with a throw-away CA
// that it creates at start and writes out for pkwatchdogd's report.ca_file.
//
// It accepts multipart POSTs the way pagekite.net/cgi-bin/crashes.pl does
// (field "data", file name KITENAME-DOWN.tar), saves each report, and logs one
// line per report with the tar listing and whether any of the secrets given
// with -secret survived the scrubbing. It is demo code, not a server to
// expose: it listens on loopback only.
//
//	collector -listen 127.0.0.1:0 -dir DIR -secret S [-secret S2 ...]
//
// It writes DIR/ca.pem (the CA to trust) and DIR/addr (host:port it
// listens on), and saves reports as DIR/report-N.tar. It runs until SIGINT
// or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("collector", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "loopback `host:port` to listen on")
	dir := fs.String("dir", "", "`directory` for ca.pem, addr and the saved reports (required)")
	var secrets []string
	fs.Func("secret", "a planted `secret` that must not appear in a report (repeatable)", func(s string) error {
		if s == "" {
			return errors.New("empty secret")
		}
		secrets = append(secrets, s)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	logger := log.New(os.Stdout, "collector: ", log.Ltime)
	if *dir == "" {
		logger.Print("-dir is required")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, logger, *listen, *dir, secrets); err != nil {
		logger.Print(err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, logger *log.Logger, listen, dir string, secrets []string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("listen address: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q: not a loopback address", listen)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("report dir: %w", err)
	}
	tlsConf, caPEM, err := newTLS()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), caPEM, 0o644); err != nil {
		return fmt.Errorf("writing CA: %w", err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// addr is written last: its presence tells the demo we are ready.
	if err := writeAtomic(filepath.Join(dir, "addr"), []byte(ln.Addr().String()+"\n")); err != nil {
		ln.Close()
		return err
	}
	c := &collector{log: logger, dir: dir, secrets: secrets}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /crashes", c.handle)
	srv := &http.Server{
		Handler:           mux,
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          logger,
	}
	logger.Printf("listening on https://%s/crashes, CA in %s", ln.Addr(), filepath.Join(dir, "ca.pem"))
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-done
	return err
}

// collector handles the uploads.
type collector struct {
	log     *log.Logger
	dir     string
	secrets []string
	// mu guards n, the number of reports received so far.
	mu sync.Mutex
	n  int
}

// maxReport bounds one upload (pkwatchdogd's report.max_bytes default).
const maxReport = 64 << 20

func (c *collector) handle(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxReport+1<<20)
	f, fh, err := r.FormFile("data")
	if err != nil {
		c.log.Printf("rejected a POST from %s: no multipart field \"data\": %v", r.RemoteAddr, err)
		http.Error(w, "no data field", http.StatusBadRequest)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.n++
	n := c.n
	c.mu.Unlock()
	path := filepath.Join(c.dir, fmt.Sprintf("report-%d.tar", n))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		c.log.Printf("report %d: not saved: %v", n, err)
		http.Error(w, "not saved", http.StatusInternalServerError)
		return
	}
	a := analyze(data, c.secrets)
	verdict := "no planted secret found"
	if len(a.leaks) > 0 {
		verdict = "SECRET LEAKED in " + strings.Join(a.leaks, ", ")
	}
	if a.err != nil {
		verdict += fmt.Sprintf(" (tar unreadable: %v)", a.err)
	}
	c.log.Printf("report %d: %d bytes as %q from %s (%s), saved %s; tar: [%s]; %s",
		n, len(data), fh.Filename, r.RemoteAddr, r.UserAgent(), path, strings.Join(a.members, ", "), verdict)
	_, _ = io.WriteString(w, "OK\n")
}

// writeAtomic writes a file under a temporary name, then renames it.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
