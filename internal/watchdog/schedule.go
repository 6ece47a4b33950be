package watchdog

import (
	"math/rand/v2"
	"time"
)

// nextDelay returns the time until a kite's next probe: interval ± jitter ×
// interval, uniformly spread. jitter is a fraction in [0, 0.5]; r supplies
// the randomness (one source per kite loop, so no lock is shared).
func nextDelay(r *rand.Rand, interval time.Duration, jitter float64) time.Duration {
	if jitter <= 0 {
		return interval
	}
	spread := float64(interval) * jitter
	return interval + time.Duration((r.Float64()*2-1)*spread)
}

// firstDelay returns a random delay in [0, interval) before a kite's first
// probe, so that kites started together never probe in step.
func firstDelay(r *rand.Rand, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	return time.Duration(r.Int64N(int64(interval)))
}

// untilDecision shortens delay so that a kite whose grace or cooldown ends
// sooner is probed right when it ends: that fresh probe decides. A deadline
// already past was decided by the probe just made (or left undecided by an
// inconclusive verdict, which waits for the next probe at the usual pace).
func untilDecision(delay time.Duration, now, deadline time.Time) time.Duration {
	if deadline.IsZero() {
		return delay
	}
	if d := deadline.Sub(now); d > 0 && d < delay {
		return d
	}
	return delay
}
