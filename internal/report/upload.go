package report

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/oneshot"
	"github.com/pagekite/pkwatchdogd/internal/redact"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
)

// Limiter decides whether an upload may go now and records each one
// (internal/ratelimit implements it, persisted).
type Limiter interface {
	AllowUpload(now time.Time) (ok bool, next time.Time, reason string)
	RecordUploadAttempt(now time.Time, accepted bool) error
}

// UploadOptions configure an Uploader. Zero values take the defaults
// (DefaultURL, DefaultTimeout, DefaultTries).
type UploadOptions struct {
	URL string
	// CAFile adds a PEM CA certificate to the system's, for self-hosted
	// collectors and tests.
	CAFile string
	// Timeout bounds each try.
	Timeout time.Duration
	// Tries bounds the tries of one upload.
	Tries int
	// UserAgent names pkwatchdogd and its version to the collector; ""
	// sends no User-Agent.
	UserAgent string
}

// UploadResult says what became of one upload.
type UploadResult struct {
	// Uploaded: the collector accepted the bundle (2xx).
	Uploaded bool
	// RateLimited: nothing was sent; the next upload is allowed at Next,
	// for Reason.
	RateLimited bool
	Next        time.Time
	Reason      string
	// Tries is how many requests were made; Status is the last HTTP
	// status received (0 if none).
	Tries  int
	Status int
}

// Uploader sends bundles to the crash-report collector. It is safe for
// concurrent use; uploads run one at a time.
type Uploader struct {
	log  *zap.Logger
	opts UploadOptions
	lim  Limiter
	// addr is the collector's host:port; tc its TLS config, nil for a
	// plain-http loopback URL.
	addr string
	tc   *tls.Config
	now  func() time.Time
	// sleep waits between tries; tests shorten it.
	sleep func(ctx context.Context, d time.Duration) error

	// mu serializes uploads, so that each AllowUpload is followed by its
	// RecordUploadAttempt before the next upload asks.
	mu sync.Mutex
}

// NewUploader checks opts and returns an Uploader that asks lim before each
// upload. It fails on a bad URL (see ValidateURL) or an unusable CA file.
func NewUploader(log *zap.Logger, opts UploadOptions, lim Limiter) (*Uploader, error) {
	if opts.URL == "" {
		opts.URL = DefaultURL
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Tries <= 0 {
		opts.Tries = DefaultTries
	}
	if err := ValidateURL(opts.URL); err != nil {
		return nil, err
	}
	if lim == nil {
		return nil, errors.New("upload: no rate limiter")
	}
	if opts.CAFile != "" {
		// Checked now, so that a bad one is a config error; read again
		// at each upload, with the system's roots (loadRoots).
		pem, err := safefile.ReadFile(opts.CAFile, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("upload ca_file: %w", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("upload ca_file %s: no PEM certificate in it", opts.CAFile)
		}
	}
	pu, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("upload url %q: does not parse", redact.URL(opts.URL))
	}
	u := &Uploader{log: log, opts: opts, lim: lim, now: time.Now, sleep: sleepCtx}
	port := pu.Port()
	if strings.EqualFold(pu.Scheme, "https") {
		// RootCAs are filled in per upload (roots): never the process-wide
		// system pool, which Go would keep for good.
		u.tc = &tls.Config{ServerName: pu.Hostname(), MinVersion: tls.VersionTLS12}
		port = cmp.Or(port, "443")
	}
	u.addr = net.JoinHostPort(pu.Hostname(), cmp.Or(port, "80"))
	return u, nil
}

// maxAnswerHeader bounds the collector's status line and headers.
const maxAnswerHeader = 32 << 10

// Upload sends the bundle as multipart field "data", file name
// KITE-DOWN.tar, if the Limiter allows, trying up to Tries times with
// backoff (honouring Retry-After). It returns
//   - ({RateLimited, Next, Reason}, nil): the Limiter said not now; nothing sent;
//   - ({Uploaded, Status, Tries}, nil): accepted;
//   - ({Status, Tries}, err): every try failed, or ctx ended.
//
// One attempt is recorded with the Limiter per upload that sent anything.
func (u *Uploader) Upload(ctx context.Context, b Bundle) (UploadResult, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return UploadResult{}, fmt.Errorf("upload: %w", err)
	}
	if ok, next, reason := u.lim.AllowUpload(u.now()); !ok {
		return UploadResult{RateLimited: true, Next: next, Reason: reason}, nil
	}
	f, err := os.Open(b.Path)
	if err != nil {
		return UploadResult{}, fmt.Errorf("upload: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return UploadResult{}, fmt.Errorf("upload: %w", err)
	}
	body, err := newMultipartBody(f, st.Size(), b.Kite)
	if err != nil {
		return UploadResult{}, fmt.Errorf("upload: %w", err)
	}
	tc, err := u.roots()
	if err != nil {
		return UploadResult{}, fmt.Errorf("upload: %w", err)
	}
	if tc != nil {
		defer releaseRoots()
	}

	var (
		res     UploadResult
		lastErr error
	)
	for res.Tries < u.opts.Tries {
		if res.Tries > 0 {
			wait := backoff(res.Tries)
			if d, ok := retryAfter(lastRetryAfter(lastErr), u.now()); ok {
				wait = d
			}
			u.log.Info("crash report upload retry", zap.Int("try", res.Tries+1), zap.Duration("wait", wait), zap.Error(lastErr))
			if err := u.sleep(ctx, wait); err != nil {
				lastErr = err
				break
			}
		}
		res.Tries++
		status, err := u.try(ctx, body, tc)
		res.Status = status
		if err == nil {
			res.Uploaded = true
			break
		}
		lastErr = err
		var se *statusError
		if ctx.Err() != nil || (errors.As(err, &se) && !retryable(se.status)) {
			break
		}
	}
	if err := u.lim.RecordUploadAttempt(u.now(), res.Uploaded); err != nil {
		u.log.Warn("upload attempt not recorded", zap.Error(err))
	}
	if !res.Uploaded {
		return res, fmt.Errorf("upload to %s failed after %d tries: %w", redact.URL(u.opts.URL), res.Tries, lastErr)
	}
	return res, nil
}

// roots is u's TLS config with the CA roots read for one upload, nil for a
// plain-http collector; the caller drops it (and releaseRoots) after.
func (u *Uploader) roots() (*tls.Config, error) {
	if u.tc == nil {
		return nil, nil
	}
	pool, err := loadRoots(u.opts.CAFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, ServerName: u.tc.ServerName, MinVersion: u.tc.MinVersion}, nil
}

// statusError is a non-2xx answer.
type statusError struct {
	status     int
	retryAfter string
	body       string
}

func (e *statusError) Error() string {
	if e.body != "" {
		return fmt.Sprintf("status %d: %s", e.status, e.body)
	}
	return fmt.Sprintf("status %d", e.status)
}

func lastRetryAfter(err error) string {
	var se *statusError
	if errors.As(err, &se) {
		return se.retryAfter
	}
	return ""
}

// try makes one request over a connection of its own, bounded by the
// timeout, and returns the status and nil for a 2xx answer. No proxy is
// used and no redirect followed (a redirect would turn the POST into a
// GET: the 3xx is the answer). The collector's status line and headers
// are bounded (maxAnswerHeader; a longer answer fails the try), its body
// read up to 512 bytes.
func (u *Uploader) try(ctx context.Context, body *multipartBody, tc *tls.Config) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, u.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.opts.URL, body.reader())
	if err != nil {
		return 0, err
	}
	req.ContentLength = body.size
	req.Close = true
	req.Header.Set("Content-Type", body.contentType)
	if u.opts.UserAgent != "" {
		req.Header.Set("User-Agent", u.opts.UserAgent)
	}
	conn, err := oneshot.Dial(ctx, u.addr, tc)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	werr := oneshot.WriteRequest(conn, req)
	// A collector may answer (413, 429) and close before it read the whole
	// body: its answer, when there is one, says more than the write error.
	r := oneshot.NewReader(conn, maxAnswerHeader, 512)
	defer r.Release()
	resp, err := r.ReadResponse(req)
	if err != nil {
		if werr != nil {
			return 0, fmt.Errorf("send: %w", werr)
		}
		return 0, fmt.Errorf("read answer: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, &statusError{
		status:     resp.StatusCode,
		retryAfter: resp.Header.Get("Retry-After"),
		body:       string(bytes.TrimSpace(msg)),
	}
}

// multipartBody is a multipart/form-data body with the bundle as field
// "data", streamed from the file for each try.
type multipartBody struct {
	head, tail  []byte
	file        *os.File
	fileSize    int64
	size        int64
	contentType string
}

// newMultipartBody frames f as curl -F data=@FILE does: one part, field
// "data", file name UploadName(kite), application/octet-stream. The
// framing before and after the file is written once by mime/multipart;
// the file itself is streamed for each try.
func newMultipartBody(f *os.File, size int64, kite string) (*multipartBody, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if _, err := mw.CreateFormFile("data", UploadName(kite)); err != nil {
		return nil, fmt.Errorf("multipart: %w", err)
	}
	head := bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("multipart: %w", err)
	}
	tail := bytes.Clone(buf.Bytes())
	return &multipartBody{
		head: head, tail: tail, file: f, fileSize: size,
		size:        int64(len(head)) + size + int64(len(tail)),
		contentType: mw.FormDataContentType(),
	}, nil
}

func (m *multipartBody) reader() io.Reader {
	return io.MultiReader(bytes.NewReader(m.head), io.NewSectionReader(m.file, 0, m.fileSize), bytes.NewReader(m.tail))
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
