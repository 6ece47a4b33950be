package report

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// maxRetryAfter caps the wait a collector may ask for between tries.
	maxRetryAfter = 10 * time.Minute
	// firstBackoff is the wait after the first failed try when the
	// collector gives no Retry-After; it triples with each try.
	firstBackoff = 5 * time.Second
)

// retryAfter parses a Retry-After header value (seconds, or an HTTP date
// relative to now), capped at maxRetryAfter. ok is false when the value is
// absent or unusable.
func retryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		d = time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second
		return d, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}

// backoff is the wait after failed try number try (1-based) without
// Retry-After: 5s, 15s, 45s, ...
func backoff(try int) time.Duration {
	d := firstBackoff
	for i := 1; i < try && d < maxRetryAfter; i++ {
		d *= 3
	}
	return min(d, maxRetryAfter)
}

// retryable reports whether an HTTP status is worth another try.
func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}
