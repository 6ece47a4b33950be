package faults

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/redact"
	"github.com/pagekite/pkwatchdogd/internal/report"
)

// The collector faults run the loop in real time with the real report
// queue, builder and uploader, against a real TLS collector on 127.0.0.1.
// The restart is the fake one: the process scenarios cover the real one.

// collector answers uploads through answer, given the try number (1-based).
type collector struct {
	hits   atomic.Int32
	answer func(w http.ResponseWriter, r *http.Request, try int)
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	try := int(c.hits.Add(1))
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	if _, _, err := r.FormFile("data"); err != nil {
		http.Error(w, "no data field", http.StatusBadRequest)
		return
	}
	c.answer(w, r, try)
}

// startCollector starts a TLS collector and returns its URL and a CA file
// that trusts it.
func startCollector(t *testing.T, c *collector) (url, caFile string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(c)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, caFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	return srv.URL + "/cgi-bin/crashes.pl", caFile
}

// outcomes records what became of crash reports.
type outcomes struct {
	mu   sync.Mutex // guards seen
	seen []report.Outcome
}

func (o *outcomes) observe(_ string, out report.Outcome) {
	o.mu.Lock()
	o.seen = append(o.seen, out)
	o.mu.Unlock()
}

func (o *outcomes) list() []report.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]report.Outcome(nil), o.seen...)
}

// final counts the outcomes that end a report (all but "built").
func (o *outcomes) final() int {
	n := 0
	for _, out := range o.list() {
		if out != report.OutcomeBuilt {
			n++
		}
	}
	return n
}

func (o *outcomes) count(want report.Outcome) int {
	n := 0
	for _, out := range o.list() {
		if out == want {
			n++
		}
	}
	return n
}

// collectorRun restarts a kite once in real time and waits (at most 20 s)
// for its crash report's fate with the collector at url. Then it hands in
// a second report at once: the limiter must hold it back (one attempt per
// hour), whatever became of the first. It returns the restarts, the
// accepted uploads and the collector's hits.
func collectorRun(t *testing.T, url, caFile string, tries int, timeout time.Duration) (restarts, uploads int) {
	t.Helper()
	lg := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	dir := t.TempDir()
	logFile := filepath.Join(dir, "pagekite.log")
	writeFile(t, logFile, "ts=1,t=2026-11-24 10:00:00,ll=1,info=Hello! This is pagekite v1.5.2.\nts=2,ll=2,err=tunnel lost\n")
	store := openStore(t, "")
	builder := report.NewBuilder(lg.Named("report"), report.Options{StateDir: dir, LogFile: logFile, Version: "faults"}, redact.New(redact.Options{}))
	uploader, err := report.NewUploader(lg.Named("upload"), report.UploadOptions{URL: url, CAFile: caFile, Timeout: timeout, Tries: tries}, store)
	if err != nil {
		t.Fatalf("report.NewUploader(%s) = %v", url, err)
	}
	var seen outcomes
	queue := report.NewQueue(lg.Named("reports"), builder, uploader, seen.observe)
	ctx, cancel := context.WithCancel(context.Background())
	queueDone := make(chan struct{})
	go func() {
		defer close(queueDone)
		queue.Run(ctx)
	}()
	defer func() {
		cancel()
		<-queueDone
	}()

	p := newScriptProber(0, verdicts(downUntilRestarted(0)))
	r := startRig(t, realTimeSettings(), p, rigOptions{store: store, reporter: queue})
	waitFinal := func(n int) {
		t.Helper()
		for end := time.Now().Add(20 * time.Second); seen.final() < n; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("report outcomes %v after 20s, want %d final", seen.list(), n)
			}
		}
	}
	waitFinal(1)
	r.stop()
	queue.Report(report.Input{Kite: kite, Reason: "second report, right after the first"})
	waitFinal(2)
	if got := seen.list(); got[len(got)-1] != report.OutcomeRateLimited {
		t.Errorf("second report's outcomes %v, want it rate-limited", got)
	}
	return r.restarts(), seen.count(report.OutcomeUploaded)
}

func collectorScenarios() []scenario {
	accept := func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusOK) }
	return []scenario{
		{
			name: "collector up", wantRestarts: 1, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				c := &collector{answer: accept}
				url, ca := startCollector(t, c)
				r, u := collectorRun(t, url, ca, 1, 5*time.Second)
				if h := c.hits.Load(); h != 1 {
					t.Errorf("collector hits = %d, want 1", h)
				}
				return r, u
			},
		},
		{
			name: "collector down", wantRestarts: 1, wantUploads: 0,
			run: func(t *testing.T) (int, int) {
				return collectorRun(t, "https://"+pktest.ClosedAddr(t)+"/cgi-bin/crashes.pl", "", 1, 5*time.Second)
			},
		},
		{
			name: "collector slow (no answer within the timeout)", wantRestarts: 1, wantUploads: 0,
			run: func(t *testing.T) (int, int) {
				c := &collector{answer: func(w http.ResponseWriter, r *http.Request, _ int) {
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
					w.WriteHeader(http.StatusOK)
				}}
				url, ca := startCollector(t, c)
				return collectorRun(t, url, ca, 1, 300*time.Millisecond)
			},
		},
		{
			// 500 on both tries (Retry-After: 0 keeps the test short).
			name: "collector 500", wantRestarts: 1, wantUploads: 0,
			run: func(t *testing.T) (int, int) {
				c := &collector{answer: func(w http.ResponseWriter, _ *http.Request, _ int) {
					w.Header().Set("Retry-After", "0")
					http.Error(w, "internal error", http.StatusInternalServerError)
				}}
				url, ca := startCollector(t, c)
				r, u := collectorRun(t, url, ca, 2, 5*time.Second)
				if h := c.hits.Load(); h != 2 {
					t.Errorf("collector hits = %d, want 2 (tries)", h)
				}
				return r, u
			},
		},
		{
			// 503 with Retry-After: 1, then accepted on the second try,
			// not before the second has passed.
			name: "collector Retry-After", wantRestarts: 1, wantUploads: 1,
			run: func(t *testing.T) (int, int) {
				var first atomic.Int64
				c := &collector{answer: func(w http.ResponseWriter, _ *http.Request, try int) {
					if try == 1 {
						first.Store(time.Now().UnixNano())
						w.Header().Set("Retry-After", "1")
						http.Error(w, "busy", http.StatusServiceUnavailable)
						return
					}
					if d := time.Since(time.Unix(0, first.Load())); d < 900*time.Millisecond {
						t.Errorf("second try %v after the first, want Retry-After's 1s", d)
					}
					w.WriteHeader(http.StatusOK)
				}}
				url, ca := startCollector(t, c)
				r, u := collectorRun(t, url, ca, 2, 5*time.Second)
				if h := c.hits.Load(); h != 2 {
					t.Errorf("collector hits = %d, want 2", h)
				}
				return r, u
			},
		},
	}
}
