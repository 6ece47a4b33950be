package report

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/pagekite/pkwatchdogd/internal/redact"
)

// received is one request as the collector saw it.
type received struct {
	userAgent   string
	field, file string
	partType    string
	members     []string
	body        []byte // the uploaded file
}

// collector is a real HTTPS crash-report collector on 127.0.0.1 that
// answers with the statuses in plan (then 200) and records what it got.
type collector struct {
	srv    *httptest.Server
	caFile string

	mu   sync.Mutex // guards plan and got
	plan []func(w http.ResponseWriter, r *http.Request) bool
	got  []received
}

func newCollector(t *testing.T, plan ...func(w http.ResponseWriter, r *http.Request) bool) *collector {
	t.Helper()
	c := &collector{plan: plan}
	c.srv = httptest.NewTLSServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.srv.Close)
	c.caFile = filepath.Join(t.TempDir(), "ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.srv.Certificate().Raw})
	if err := os.WriteFile(c.caFile, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *collector) serve(w http.ResponseWriter, r *http.Request) {
	rec := received{userAgent: r.UserAgent()}
	if mr, err := r.MultipartReader(); err == nil {
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			rec.field, rec.file, rec.partType = p.FormName(), p.FileName(), p.Header.Get("Content-Type")
			rec.body, _ = io.ReadAll(p)
		}
	}
	tr := tar.NewReader(bytes.NewReader(rec.body))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		rec.members = append(rec.members, h.Name)
	}
	c.mu.Lock()
	c.got = append(c.got, rec)
	var step func(http.ResponseWriter, *http.Request) bool
	if len(c.plan) > 0 {
		step, c.plan = c.plan[0], c.plan[1:]
	}
	c.mu.Unlock()
	if step != nil && step(w, r) {
		return
	}
	io.WriteString(w, "thanks\n")
}

func (c *collector) received() []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]received(nil), c.got...)
}

func status(code int, retryAfter string) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, _ *http.Request) bool {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
		return true
	}
}

// testBundle builds a real bundle whose log holds a planted secret.
func testBundle(t *testing.T, secret string) Bundle {
	t.Helper()
	log := filepath.Join(t.TempDir(), "pagekite.log")
	writeLog(t, log, []string{
		pkLine(t0.Add(-time.Minute), "started=/usr/bin/pagekite; version=1.5.2.201011; argv=--service_on=http:k:127.0.0.1:80:"+secret),
		pkLine(t0, "GET=/a?b=c; remote_ip=192.0.2.1"),
	})
	b := newTestBuilder(t, Options{LogFile: log}, redact.New(redact.Options{RedactIPs: true}))
	bundle, err := b.Build(context.Background(), Input{Kite: "foo.kite.test", At: t0, Reason: "test " + secret})
	if err != nil {
		t.Fatal(err)
	}
	return bundle
}

// newTestUploader returns an Uploader for c whose waits are recorded, not
// slept.
func newTestUploader(t *testing.T, c *collector, lim Limiter, timeout time.Duration) (*Uploader, *[]time.Duration) {
	t.Helper()
	u, err := NewUploader(zaptest.NewLogger(t), UploadOptions{
		URL: c.srv.URL + "/cgi-bin/crashes.pl", CAFile: c.caFile, Timeout: timeout,
		UserAgent: "pkwatchdogd/9.9",
	}, lim)
	if err != nil {
		t.Fatalf("NewUploader() error = %v", err)
	}
	var waits []time.Duration
	u.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}
	return u, &waits
}

func TestUpload(t *testing.T) {
	c := newCollector(t)
	lim := &memLimiter{interval: time.Hour}
	u, waits := newTestUploader(t, c, lim, 10*time.Second)
	bundle := testBundle(t, "UploadSecret55")
	res, err := u.Upload(context.Background(), bundle)
	if err != nil || !res.Uploaded || res.Tries != 1 || res.Status != 200 {
		t.Fatalf("Upload() = %+v, %v, want uploaded at the first try", res, err)
	}
	got := c.received()
	if len(got) != 1 {
		t.Fatalf("collector got %d requests, want 1", len(got))
	}
	r := got[0]
	if want := "foo.kite.test-DOWN.tar"; r.field != "data" || r.file != want || r.userAgent != "pkwatchdogd/9.9" || UploadName(bundle.Kite) != want {
		t.Errorf("collector got field %q file %q agent %q, want data, %s, pkwatchdogd/9.9", r.field, r.file, r.userAgent, want)
	}
	// The original script's curl -F data=@FILE sends this type.
	if r.partType != "application/octet-stream" {
		t.Errorf("collector got part type %q, want application/octet-stream", r.partType)
	}
	if strings.Join(r.members, ",") != JSONMember+","+LogMember {
		t.Errorf("collector got members %v, want report.json and the log", r.members)
	}
	want, _ := os.ReadFile(bundle.Path)
	if !bytes.Equal(r.body, want) {
		t.Errorf("collector got %d bytes, want the bundle's %d", len(r.body), len(want))
	}
	if bytes.Contains(r.body, []byte("UploadSecret55")) {
		t.Errorf("collector got the secret")
	}
	if len(*waits) != 0 || len(lim.recorded()) != 1 || !lim.recorded()[0] {
		t.Errorf("waits %v, attempts %v, want none and one accepted", *waits, lim.recorded())
	}
}

// TestUploadRateLimited: two bundles within the interval make one upload.
func TestUploadRateLimited(t *testing.T) {
	c := newCollector(t)
	lim := &memLimiter{interval: time.Hour}
	u, _ := newTestUploader(t, c, lim, 10*time.Second)
	now := t0
	u.now = func() time.Time { return now }
	first, err := u.Upload(context.Background(), testBundle(t, "s1xxxx"))
	if err != nil || !first.Uploaded {
		t.Fatalf("Upload() #1 = %+v, %v, want uploaded", first, err)
	}
	now = now.Add(10 * time.Minute)
	second, err := u.Upload(context.Background(), testBundle(t, "s2xxxx"))
	if err != nil || second.Uploaded || !second.RateLimited || !second.Next.Equal(t0.Add(time.Hour)) || second.Tries != 0 {
		t.Errorf("Upload() #2 = %+v, %v, want rate limited until %v", second, err, t0.Add(time.Hour))
	}
	if n := len(c.received()); n != 1 {
		t.Errorf("collector got %d uploads, want 1", n)
	}
	now = now.Add(time.Hour)
	if third, err := u.Upload(context.Background(), testBundle(t, "s3xxxx")); err != nil || !third.Uploaded {
		t.Errorf("Upload() #3 after the interval = %+v, %v, want uploaded", third, err)
	}
}

func TestUploadRetries(t *testing.T) {
	retryDate := t0.Add(42 * time.Second).Format(http.TimeFormat)
	hang := func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return true
	}
	tests := []struct {
		name      string
		plan      []func(http.ResponseWriter, *http.Request) bool
		timeout   time.Duration
		wantOK    bool
		wantTries int
		wantWaits []time.Duration
		wantReqs  int
	}{
		{"retry-after seconds", []func(http.ResponseWriter, *http.Request) bool{status(503, "7")}, 0, true, 2, []time.Duration{7 * time.Second}, 2},
		{"retry-after date", []func(http.ResponseWriter, *http.Request) bool{status(429, retryDate)}, 0, true, 2, []time.Duration{42 * time.Second}, 2},
		{"retry-after capped", []func(http.ResponseWriter, *http.Request) bool{status(503, "86400")}, 0, true, 2, []time.Duration{maxRetryAfter}, 2},
		{"500 then ok", []func(http.ResponseWriter, *http.Request) bool{status(500, ""), status(502, "")}, 0, true, 3, []time.Duration{5 * time.Second, 15 * time.Second}, 3},
		{"500 always", []func(http.ResponseWriter, *http.Request) bool{status(500, ""), status(500, ""), status(500, ""), status(500, "")}, 0, false, 3, []time.Duration{5 * time.Second, 15 * time.Second}, 3},
		{"400 not retried", []func(http.ResponseWriter, *http.Request) bool{status(400, "")}, 0, false, 1, nil, 1},
		// A whole second per try: under load, the TLS handshake alone can
		// take longer than a shorter timeout, and the try never reaches the
		// handler.
		{"timeouts", []func(http.ResponseWriter, *http.Request) bool{hang, hang, hang}, time.Second, false, 3, []time.Duration{5 * time.Second, 15 * time.Second}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector(t, tt.plan...)
			lim := &memLimiter{interval: time.Hour}
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			u, waits := newTestUploader(t, c, lim, timeout)
			u.now = func() time.Time { return t0 }
			res, err := u.Upload(context.Background(), testBundle(t, "retrysecret"))
			if res.Uploaded != tt.wantOK || (err == nil) != tt.wantOK || res.Tries != tt.wantTries {
				t.Errorf("Upload() = %+v, %v, want uploaded %v after %d tries", res, err, tt.wantOK, tt.wantTries)
			}
			if !equalDurations(*waits, tt.wantWaits) {
				t.Errorf("Upload() waited %v, want %v", *waits, tt.wantWaits)
			}
			if n := len(c.received()); n != tt.wantReqs {
				t.Errorf("collector got %d requests, want %d", n, tt.wantReqs)
			}
			if got := lim.recorded(); len(got) != 1 || got[0] != tt.wantOK {
				t.Errorf("limiter recorded %v, want one attempt, accepted %v", got, tt.wantOK)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestUploadConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	lim := &memLimiter{interval: time.Hour}
	u, err := NewUploader(zaptest.NewLogger(t), UploadOptions{URL: "https://" + addr + "/x", Timeout: 5 * time.Second}, lim)
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	u.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	res, err := u.Upload(context.Background(), testBundle(t, "refusedsecret"))
	if err == nil || res.Uploaded || res.Tries != 3 || !strings.Contains(err.Error(), "refused") {
		t.Errorf("Upload(refused) = %+v, %v, want 3 tries and a refusal", res, err)
	}
	if len(waits) != 2 || len(lim.recorded()) != 1 {
		t.Errorf("waits %v, attempts %v, want 2 waits and 1 attempt", waits, lim.recorded())
	}
}

// TestUploadVerifiesTLS: without the collector's CA, the upload fails.
func TestUploadVerifiesTLS(t *testing.T) {
	c := newCollector(t)
	u, err := NewUploader(zaptest.NewLogger(t), UploadOptions{URL: c.srv.URL, Tries: 1}, &memLimiter{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := u.Upload(context.Background(), testBundle(t, "tlssecret"))
	if err == nil || res.Uploaded || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Upload(unknown CA) = %+v, %v, want a certificate error", res, err)
	}
	if n := len(c.received()); n != 0 {
		t.Errorf("collector got %d requests, want 0", n)
	}
}

func TestUploadCancelled(t *testing.T) {
	c := newCollector(t)
	lim := &memLimiter{interval: time.Hour}
	u, _ := newTestUploader(t, c, lim, time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := u.Upload(ctx, testBundle(t, "offsecret")); !errors.Is(err, context.Canceled) {
		t.Errorf("Upload(cancelled) error = %v, want context.Canceled", err)
	}
	if n, a := len(c.received()), len(lim.recorded()); n != 0 || a != 0 {
		t.Errorf("collector got %d, limiter recorded %d, want 0 and 0", n, a)
	}
}

func TestNewUploaderErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "bad.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	tests := []struct {
		name string
		opts UploadOptions
		lim  Limiter
		want string
	}{
		{"http to non-loopback", UploadOptions{URL: "http://example.com/x"}, &memLimiter{}, "loopback"},
		{"missing CA", UploadOptions{CAFile: filepath.Join(dir, "none.pem")}, &memLimiter{}, "no such file"},
		{"CA without PEM", UploadOptions{CAFile: notPEM}, &memLimiter{}, "no PEM"},
		{"no limiter", UploadOptions{}, nil, "limiter"},
	}
	for _, tt := range tests {
		if _, err := NewUploader(zaptest.NewLogger(t), tt.opts, tt.lim); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewUploader(%s) error = %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestValidateURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://pagekite.net/cgi-bin/crashes.pl", true},
		{"https://10.1.2.3:8443/x", true},
		{"http://127.0.0.1:8080/x", true},
		{"http://127.9.9.9/x", true},
		{"http://[::1]:8080/x", true},
		{"http://localhost/x", false},
		{"http://pagekite.net/x", false},
		{"http://10.0.0.1/x", false},
		{"ftp://pagekite.net/x", false},
		{"https:///x", false},
		{"https://user:pw@pagekite.net/x", false},
		{"://bad", false},
	}
	for _, tt := range tests {
		if err := ValidateURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("ValidateURL(%q) = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
}

// TestValidateURLRedacts: ValidateURL's errors, which validate, check,
// report and run print and a reload logs and puts in the status file,
// quote the URL without its user information, query values and fragment
// (#30 item 3).
func TestValidateURLRedacts(t *testing.T) {
	for _, raw := range []string{
		"https://uSer7:pAss7@collector.example/path?key=kEy7#fRag7",
		"https://uSer7:pAss7@collector.example/path?kEy7",
		"http://collector.example/path?key=kEy7#fRag7",
		"ftp://uSer7@collector.example/?key=kEy7",
		"https://uSer7:pA/ss7@collector.example/x?key=kEy7",
		"https://uSer7:pAss7@collector.example:bad/?key=kEy7",
		"https://collector.example/%zz?key=kEy7#fRag7",
		"https:///x?key=kEy7",
	} {
		err := ValidateURL(raw)
		if err == nil {
			t.Errorf("ValidateURL(%q) = nil, want an error", raw)
			continue
		}
		for _, private := range []string{"uSer7", "pAss7", "pA/ss7", "kEy7", "fRag7"} {
			if strings.Contains(err.Error(), private) {
				t.Errorf("ValidateURL(%q) = %v, quotes %q", raw, err, private)
			}
		}
		if !strings.Contains(err.Error(), "collector.example") && !strings.Contains(raw, ":///") {
			t.Errorf("ValidateURL(%q) = %v, want the host named", raw, err)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{"99999999", maxRetryAfter, true},
		{"-5", 0, false},
		{"soon", 0, false},
		{t0.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{t0.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{t0.Add(48 * time.Hour).Format(http.TimeFormat), maxRetryAfter, true},
	}
	for _, tt := range tests {
		if got, ok := retryAfter(tt.in, t0); got != tt.want || ok != tt.wantOK {
			t.Errorf("retryAfter(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestBackoff(t *testing.T) {
	for try, want := range map[int]time.Duration{1: 5 * time.Second, 2: 15 * time.Second, 3: 45 * time.Second, 30: maxRetryAfter} {
		if got := backoff(try); got != want {
			t.Errorf("backoff(%d) = %v, want %v", try, got, want)
		}
	}
}

// TestUploadEndlessHeaders: a collector that answers with endless headers
// costs a bounded read (maxAnswerHeader) and a failed try, not the
// memory the headers would take.
func TestUploadEndlessHeaders(t *testing.T) {
	endless := func(w http.ResponseWriter, _ *http.Request) bool {
		c, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return true
		}
		defer c.Close()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nX-Junk: ")
		junk := strings.Repeat("a", 64<<10)
		for i := 0; i < 256; i++ { // 16 MiB at most
			if _, err := buf.WriteString(junk); err != nil {
				return true
			}
			if buf.Flush() != nil {
				return true
			}
		}
		return true
	}
	c := newCollector(t, endless, endless, endless)
	u, _ := newTestUploader(t, c, &memLimiter{interval: time.Hour}, 5*time.Second)
	res, err := u.Upload(context.Background(), testBundle(t, "endlesssecret"))
	if err == nil || res.Uploaded {
		t.Errorf("Upload(endless headers) = %+v, %v; want a failure", res, err)
	}
	t.Logf("Upload(endless headers) = %+v, %v", res, err)
}

// TestUploadEarlyAnswer: a collector that answers 413 after the headers and
// closes without reading the body; the answer, not the write error, is
// what the upload reports. A plain-http collector on loopback, as
// ValidateURL allows, that reads only the request headers.
func TestUploadEarlyAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for range 3 { // at most the three tries
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
				_, _ = io.WriteString(c, "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 9\r\nConnection: close\r\n\r\ntoo large")
			}
			c.Close()
		}
	}()
	u, err := NewUploader(zaptest.NewLogger(t), UploadOptions{
		URL: "http://" + ln.Addr().String() + "/cgi-bin/crashes.pl", Timeout: 5 * time.Second,
	}, &memLimiter{interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	u.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	// A bundle bigger than the socket buffers, so that the write is still
	// going when the collector closes.
	b := testBundle(t, "earlysecret")
	big := filepath.Join(t.TempDir(), "big.tar")
	if err := os.WriteFile(big, bytes.Repeat([]byte{'x'}, 8<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Path = big
	res, err := u.Upload(context.Background(), b)
	if err == nil || res.Status != http.StatusRequestEntityTooLarge || res.Tries != 1 {
		t.Errorf("Upload(collector answers 413 early) = %+v, %v; want status 413 after 1 try (not retried)", res, err)
	}
}

// TestUploadDoesNotFollowRedirects: a 3xx is the answer (following it
// would turn the POST into a GET).
func TestUploadDoesNotFollowRedirects(t *testing.T) {
	c := newCollector(t, func(w http.ResponseWriter, r *http.Request) bool {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
		return true
	})
	u, _ := newTestUploader(t, c, &memLimiter{interval: time.Hour}, 5*time.Second)
	res, err := u.Upload(context.Background(), testBundle(t, "redirsecret"))
	if err == nil || res.Status != http.StatusFound || len(c.received()) != 1 {
		t.Errorf("Upload(302) = %+v, %v, %d requests; want status 302, one request", res, err, len(c.received()))
	}
}
