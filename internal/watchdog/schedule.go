package watchdog

import (
	"math/rand/v2"
	"sync"
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

// firstDelay returns a random delay in [0, span) before a kite's first
// probe, so that kites started together never probe in step.
func firstDelay(r *rand.Rand, span time.Duration) time.Duration {
	if span <= 0 {
		return 0
	}
	return time.Duration(r.Int64N(int64(span)))
}

// firstSpan is the span over which kites' first probes are spread: the
// interval less the probe timeout (a probe that times out takes about one
// timeout: the relay ping goes out alongside a slow request), so that every
// kite has a verdict within interval + timeout of the start, however many
// of them time out; at least half the interval.
func firstSpan(interval, timeout time.Duration) time.Duration {
	return max(interval-timeout, interval/2)
}

// gridStep is the spacing of the instants that probes are aligned to for a
// kite probed every interval: a fifth of it, between 10 ms and 1 s. The
// coarser the grid, the more probes share a wake-up (a tenth of the
// interval cost about 15% more CPU per probe at a 5 s interval); at most
// 1 s, so that the probes of one second are still spread over it.
func gridStep(interval time.Duration) time.Duration {
	return min(max(interval/5, 10*time.Millisecond), time.Second)
}

// window is where a kite's next probe may fall: between lo and hi from now,
// aligned to multiples of step where one lies inside.
type window struct{ lo, hi, step time.Duration }

// paceWindow is the window of a kite's regular probes: interval ± jitter,
// with a grid no coarser than the window is wide, so that a grid instant
// lies inside it.
func paceWindow(interval time.Duration, jitter float64) window {
	spread := time.Duration(float64(interval) * max(jitter, 0))
	return window{lo: interval - spread, hi: interval + spread, step: min(gridStep(interval), 2*spread)}
}

// firstWindow is the window of a kite's first probe: [0, firstSpan).
func firstWindow(interval, timeout time.Duration) window {
	return window{lo: 0, hi: firstSpan(interval, timeout), step: gridStep(interval)}
}

// calendar books the kites' next probes on a grid of instants shared by
// all kite loops, for two reasons:
//
//   - Kites whose probes fall close together wake up together: one wake-up
//     of the process serves them all. Timers that fire one by one cost far
//     more CPU per probe than the probes themselves (bench/README.md, cost
//     per probe).
//   - Between two random candidates for a kite's next probe it takes the
//     instant with fewer probes booked (the "power of two choices"), which
//     keeps the busiest second close to the mean.
//
// It is safe for concurrent use. Bookings are advice, never a limit: a kite
// always gets one of its two candidates, within its window.
type calendar struct {
	mu     sync.Mutex      // guards booked and pruned
	booked map[int64]int32 // instant (Unix ns) → probes booked there
	pruned time.Time       // when instants before it were last dropped
}

func newCalendar() *calendar {
	return &calendar{booked: make(map[int64]int32)}
}

// book picks the less booked of now+a and now+b, each aligned in w (see
// align), books it and returns the delay until it. On a tie it takes a.
func (c *calendar) book(now time.Time, w window, a, b time.Duration) time.Duration {
	ta, tb := w.align(now, a), w.align(now, b)
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.pruned) >= time.Minute || now.Before(c.pruned) {
		c.pruneLocked(now)
	}
	t := ta
	if c.booked[tb] < c.booked[ta] {
		t = tb
	}
	c.booked[t]++
	return time.Duration(t - now.UnixNano())
}

// pruneLocked drops the instants before now.
func (c *calendar) pruneLocked(now time.Time) {
	at := now.UnixNano()
	for t := range c.booked {
		if t < at {
			delete(c.booked, t)
		}
	}
	c.pruned = now
}

// align is the instant now+d, in Unix nanoseconds, moved to the nearest
// multiple of w.step that lies within [now+lo, now+hi], or left as it is
// when no multiple lies there (a window narrower than a step).
func (w window) align(now time.Time, d time.Duration) int64 {
	at := now.Add(d).UnixNano()
	if w.step <= 0 {
		return at
	}
	step := int64(w.step)
	lo, hi := now.Add(w.lo).UnixNano(), now.Add(w.hi).UnixNano()
	r := at % step
	if r < 0 {
		r += step
	}
	g := at - r
	if r >= step/2 {
		g += step
	}
	if g > hi {
		g -= step
	}
	if g < lo {
		g += step
	}
	if g < lo || g > hi {
		return at
	}
	return g
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
