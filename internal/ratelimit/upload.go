package ratelimit

import (
	"fmt"
	"time"
)

// Default intervals of the Upload limiter.
const (
	DefaultUploadMinInterval = 168 * time.Hour
	DefaultUploadRetry       = time.Hour
)

// Upload limits crash-report uploads for the whole machine: at most one
// accepted upload per MinInterval, and at most one attempt per
// RetryInterval (so failures are retried, but not more than that).
type Upload struct {
	MinInterval   time.Duration
	RetryInterval time.Duration
	// LastAccepted is the last upload the server accepted; zero if none.
	LastAccepted time.Time
	// LastAttempt is the last attempt, accepted or not; zero if none.
	LastAttempt time.Time
}

// normalize keeps times in the future (the wall clock went back) as they
// are, so that a clock stepping back and forth never lets an upload through
// early; only a time more than an interval ahead is pulled back to now plus
// that interval, so that a wildly wrong clock blocks for at most two.
func (u *Upload) normalize(now time.Time) {
	if limit := now.Add(u.MinInterval); u.LastAccepted.After(limit) {
		u.LastAccepted = limit
	}
	if limit := now.Add(u.RetryInterval); u.LastAttempt.After(limit) {
		u.LastAttempt = limit
	}
}

// Allow reports whether an upload may be attempted at now. If not, next is
// the earliest time it may, and reason says why.
func (u *Upload) Allow(now time.Time) (ok bool, next time.Time, reason string) {
	u.normalize(now)
	if !u.LastAccepted.IsZero() {
		if next = u.LastAccepted.Add(u.MinInterval); now.Before(next) {
			return false, next, fmt.Sprintf("a report was accepted at %s; at most one per %s",
				u.LastAccepted.Format(time.RFC3339), u.MinInterval)
		}
	}
	if !u.LastAttempt.IsZero() {
		if next = u.LastAttempt.Add(u.RetryInterval); now.Before(next) {
			return false, next, fmt.Sprintf("last attempt at %s; at most one attempt per %s",
				u.LastAttempt.Format(time.RFC3339), u.RetryInterval)
		}
	}
	return true, now, ""
}

// Record records an attempt at now; accepted says whether the server
// accepted the report. A failed attempt never counts as accepted.
func (u *Upload) Record(now time.Time, accepted bool) {
	u.normalize(now)
	u.LastAttempt = now
	if accepted {
		u.LastAccepted = now
	}
}
