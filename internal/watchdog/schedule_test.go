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

func TestFirstSpanLeavesTimeForTheProbe(t *testing.T) {
	for _, tc := range []struct{ interval, bound, want time.Duration }{
		{time.Minute, 10 * time.Second, 50 * time.Second},
		{5 * time.Second, 6 * time.Second, 2500 * time.Millisecond},
		{time.Minute, 0, time.Minute},
	} {
		if got := firstSpan(tc.interval, tc.bound); got != tc.want {
			t.Errorf("firstSpan(%v, %v) = %v, want %v", tc.interval, tc.bound, got, tc.want)
		}
	}
}

func TestWindowAlign(t *testing.T) {
	now := time.Unix(1000, 300_000_000) // 1000.3 s
	sec := int64(time.Second)
	for _, tc := range []struct {
		name string
		w    window
		d    time.Duration
		want int64 // Unix ns
	}{
		{"nearest, down", window{0, time.Minute, time.Second}, time.Second, 1001 * sec},                             // 1001.3 → 1001
		{"nearest, up", window{0, time.Minute, time.Second}, 1300 * time.Millisecond, 1002 * sec},                   // 1001.6 → 1002
		{"not before now+lo", window{0, time.Minute, time.Second}, 0, 1001 * sec},                                   // 1000.3 → 1000 < now → 1001
		{"not after now+hi", window{54 * time.Second, 66 * time.Second, time.Second}, 66 * time.Second, 1066 * sec}, // 1066.3 → 1066
		{"hi edge, rounds up past hi", window{54 * time.Second, 66 * time.Second, time.Second}, 65800 * time.Millisecond, 1066 * sec},
		{"lo edge", window{54 * time.Second, 66 * time.Second, time.Second}, 54 * time.Second, 1055 * sec}, // 1054.3 → 1054 < lo → 1055
		{"window narrower than a step", window{time.Minute, time.Minute, time.Second}, time.Minute, now.Add(time.Minute).UnixNano()},
		{"no step", window{0, time.Minute, 0}, time.Second, now.Add(time.Second).UnixNano()},
	} {
		got := tc.w.align(now, tc.d)
		if got != tc.want {
			t.Errorf("%s: align(1000.3s, %v) = %v, want %v", tc.name, tc.d, time.Duration(got), time.Duration(tc.want))
		}
		if lo, hi := now.Add(tc.w.lo).UnixNano(), now.Add(tc.w.hi).UnixNano(); got < lo || got > hi {
			t.Errorf("%s: align(1000.3s, %v) = %v, outside the window [%v, %v]", tc.name, tc.d, time.Duration(got), time.Duration(lo), time.Duration(hi))
		}
	}
}

func TestCalendarTakesTheLessBookedCandidate(t *testing.T) {
	c := newCalendar()
	now := time.Unix(2000, 0)
	w := window{0, time.Minute, time.Second}
	// Two kites book 10 s; a third, offered 10 s or 12 s, takes 12 s.
	for range 2 {
		if d := c.book(now, w, 10*time.Second, 10*time.Second); d != 10*time.Second {
			t.Fatalf("book(10s, 10s) = %v, want 10s", d)
		}
	}
	if d := c.book(now, w, 10*time.Second, 12*time.Second); d != 12*time.Second {
		t.Errorf("book(10s, 12s) with 10s booked twice = %v, want 12s", d)
	}
	// A tie takes the first candidate, aligned.
	if d := c.book(now, w, 20400*time.Millisecond, 30*time.Second); d != 20*time.Second {
		t.Errorf("book(20.4s, 30s) = %v, want 20s", d)
	}
	// Instants in the past are dropped once a minute.
	later := now.Add(2 * time.Minute)
	c.book(later, w, time.Second, time.Second)
	if n := len(c.booked); n != 1 {
		t.Errorf("after a prune %d instants stay booked, want 1", n)
	}
}

// TestCalendarSpreadsProbes books 1000 kites at a 60 s interval, jitter
// 0.1, for ten minutes, as the kite loops would with zero-length probes,
// and checks that the busiest second stays close to the mean (a single
// random choice gives about 1.9 times the mean).
func TestCalendarSpreadsProbes(t *testing.T) {
	const (
		kites    = 1000
		interval = time.Minute
		jitter   = 0.1
		span     = 10 * time.Minute
	)
	r := rand.New(rand.NewPCG(5, 6))
	c := newCalendar()
	start := time.Unix(3000, 0)
	first, pace := firstWindow(interval, 0), paceWindow(interval, jitter)
	next := make([]time.Time, kites)
	for i := range next {
		next[i] = start.Add(c.book(start, first, firstDelay(r, first.hi), firstDelay(r, first.hi)))
	}
	perSecond := map[int64]int{}
	probes := 0
	end := start.Add(span)
	for range 20 * kites { // bounded: about 10 probes per kite
		// The kite due first probes, in time order as the loops would.
		i := 0
		for j := range next {
			if next[j].Before(next[i]) {
				i = j
			}
		}
		now := next[i]
		if !now.Before(end) {
			break
		}
		perSecond[now.Unix()]++
		probes++
		d := c.book(now, pace, nextDelay(r, interval, jitter), nextDelay(r, interval, jitter))
		if d < pace.lo || d > pace.hi {
			t.Fatalf("book gave %v, outside interval ± jitter [%v, %v]", d, pace.lo, pace.hi)
		}
		next[i] = now.Add(d)
	}
	busiest := 0
	for _, n := range perSecond {
		busiest = max(busiest, n)
	}
	mean := float64(probes) / span.Seconds()
	if ratio := float64(busiest) / mean; ratio > 1.5 {
		t.Errorf("busiest second %d probes, mean %.1f: ratio %.2f, want <= 1.5", busiest, mean, ratio)
	} else {
		t.Logf("busiest second %d probes, mean %.1f: ratio %.2f", busiest, mean, ratio)
	}
}
