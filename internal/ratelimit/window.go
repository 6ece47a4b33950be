package ratelimit

import (
	"sort"
	"time"
)

// Window allows at most Max events in any Period (a sliding window). The
// zero Window allows nothing. Methods that take now forget events older than
// Period. An event recorded after now (the wall clock went back) is kept as
// it is and counts until it is Period old: a clock stepping back and forth
// never frees the budget early. Only an event more than Period ahead is
// pulled back to now + Period, so that a wildly wrong clock blocks for at
// most two periods.
type Window struct {
	Max    int
	Period time.Duration
	// Events are the recorded times, oldest first.
	Events []time.Time
}

// normalize bounds far-future events, drops expired ones and sorts.
func (w *Window) normalize(now time.Time) {
	kept := w.Events[:0]
	for _, e := range w.Events {
		if limit := now.Add(w.Period); e.After(limit) {
			e = limit
		}
		if now.Sub(e) < w.Period {
			kept = append(kept, e)
		}
	}
	// sort.Slice, not slices.SortFunc: a generic sort of time.Time is ~8
	// KB of code of its own in the binary.
	sort.Slice(kept, func(i, j int) bool { return kept[i].Before(kept[j]) })
	w.Events = kept
}

// Count returns the events in the window ending at now.
func (w *Window) Count(now time.Time) int {
	w.normalize(now)
	return len(w.Events)
}

// Allow reports whether one more event at now stays within Max.
func (w *Window) Allow(now time.Time) bool {
	return w.Count(now) < w.Max
}

// Record records an event at now.
func (w *Window) Record(now time.Time) {
	w.normalize(now)
	w.Events = append(w.Events, now)
}

// NextAllowed returns the earliest time, not before now, at which Allow
// will be true if nothing else is recorded.
func (w *Window) NextAllowed(now time.Time) time.Time {
	n := w.Count(now)
	if n < w.Max {
		return now
	}
	if w.Max <= 0 {
		return time.Time{} // never
	}
	// The window must drop n-Max+1 events: the (n-Max)th oldest expires.
	return w.Events[n-w.Max].Add(w.Period)
}
