package watchdog

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestNextDelayStaysWithinJitter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		interval time.Duration
		jitter   float64
	}{{60 * time.Second, 0.1}, {time.Second, 0.5}, {10 * time.Second, 0}} {
		lo := time.Duration(float64(tc.interval) * (1 - tc.jitter))
		hi := time.Duration(float64(tc.interval) * (1 + tc.jitter))
		var min, max time.Duration = hi, lo
		for range 10000 {
			d := nextDelay(r, tc.interval, tc.jitter)
			if d < lo || d > hi {
				t.Fatalf("nextDelay(%v, %v) = %v, want within [%v, %v]", tc.interval, tc.jitter, d, lo, hi)
			}
			min, max = minDur(min, d), maxDur(max, d)
		}
		// The spread is really used: both ends are approached.
		if spread := hi - lo; spread > 0 && (min-lo > spread/10 || hi-max > spread/10) {
			t.Errorf("nextDelay(%v, %v) ranged over [%v, %v], want close to [%v, %v]", tc.interval, tc.jitter, min, max, lo, hi)
		}
	}
}

func TestFirstDelaySpreadsOverOneInterval(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const interval = 60 * time.Second
	var buckets [10]int
	for range 10000 {
		d := firstDelay(r, interval)
		if d < 0 || d >= interval {
			t.Fatalf("firstDelay(%v) = %v, want in [0, %v)", interval, d, interval)
		}
		buckets[d*10/interval]++
	}
	for i, n := range buckets {
		if n < 800 || n > 1200 {
			t.Errorf("firstDelay bucket %d holds %d of 10000, want about 1000", i, n)
		}
	}
}

func TestUntilDecision(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, tc := range []struct {
		delay    time.Duration
		deadline time.Time
		want     time.Duration
	}{
		{time.Minute, time.Time{}, time.Minute},
		{time.Minute, now.Add(10 * time.Second), 10 * time.Second},
		{time.Minute, now.Add(2 * time.Minute), time.Minute},
		{time.Minute, now.Add(-time.Second), time.Minute},
		{time.Minute, now, time.Minute},
	} {
		if got := untilDecision(tc.delay, now, tc.deadline); got != tc.want {
			t.Errorf("untilDecision(%v, now, now%+v) = %v, want %v", tc.delay, tc.deadline.Sub(now), got, tc.want)
		}
	}
}

func TestSleepDetector(t *testing.T) {
	var boot, mono time.Duration
	d := newSleepDetector(func() (time.Duration, time.Duration) { return boot, mono }, 30*time.Second)
	boot, mono = 10*time.Second, 10*time.Second
	if slept, ok := d.check(); ok {
		t.Fatalf("check() after no sleep = %v, true; want false", slept)
	}
	boot, mono = boot+time.Hour+5*time.Second, mono+5*time.Second
	if slept, ok := d.check(); !ok || slept != time.Hour {
		t.Fatalf("check() after an hour asleep = %v, %v; want 1h, true", slept, ok)
	}
	boot, mono = boot+20*time.Second, mono+time.Second
	if _, ok := d.check(); ok {
		t.Fatalf("check() after 19s of drift = true, want false (below threshold)")
	}
}

func minDur(a, b time.Duration) time.Duration { return min(a, b) }
func maxDur(a, b time.Duration) time.Duration { return max(a, b) }
