package ratelimit

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func TestWindowSliding(t *testing.T) {
	w := &Window{Max: 3, Period: time.Hour}
	for _, d := range []time.Duration{0, 10 * time.Minute, 20 * time.Minute} {
		w.Record(t0.Add(d))
	}
	tests := []struct {
		at        time.Duration
		wantCount int
		wantAllow bool
		wantNext  time.Duration
	}{
		{20 * time.Minute, 3, false, time.Hour},
		{time.Hour - time.Nanosecond, 3, false, time.Hour},
		{time.Hour, 2, true, time.Hour}, // the first event leaves exactly at t0+Period
		{70*time.Minute - 1, 2, true, 70*time.Minute - 1},
		{80 * time.Minute, 0, true, 80 * time.Minute},
	}
	for _, tc := range tests {
		now := t0.Add(tc.at)
		// Each case on a copy: the window forgets expired events.
		c := &Window{Max: w.Max, Period: w.Period, Events: append([]time.Time(nil), w.Events...)}
		if got := c.Count(now); got != tc.wantCount {
			t.Errorf("Count(t0+%v) = %d, want %d", tc.at, got, tc.wantCount)
		}
		if got := c.Allow(now); got != tc.wantAllow {
			t.Errorf("Allow(t0+%v) = %v, want %v", tc.at, got, tc.wantAllow)
		}
		if got := c.NextAllowed(now); !got.Equal(t0.Add(tc.wantNext)) {
			t.Errorf("NextAllowed(t0+%v) = %v, want t0+%v", tc.at, got.Sub(t0), tc.wantNext)
		}
	}
}

func TestWindowNextAllowedMany(t *testing.T) {
	// Five events in a window of max 2 (e.g. max lowered by a reload): the
	// fourth oldest must expire before one more is allowed.
	w := &Window{Max: 2, Period: time.Hour}
	for i := range 5 {
		w.Events = append(w.Events, t0.Add(time.Duration(i)*time.Minute))
	}
	now := t0.Add(5 * time.Minute)
	if got, want := w.NextAllowed(now), t0.Add(3*time.Minute+time.Hour); !got.Equal(want) {
		t.Errorf("NextAllowed = %v, want %v", got, want)
	}
	if w.Allow(t0.Add(3*time.Minute + time.Hour - 1)) {
		t.Errorf("Allow(just before NextAllowed) = true, want false")
	}
	if !w.Allow(t0.Add(3*time.Minute + time.Hour)) {
		t.Errorf("Allow(NextAllowed) = false, want true")
	}
}

// TestWindowClockBackwards: an event in the future keeps counting until it
// is Period old; one more than Period ahead is pulled back to now + Period.
func TestWindowClockBackwards(t *testing.T) {
	w := &Window{Max: 1, Period: time.Hour}
	w.Record(t0)
	back := t0.Add(-24 * time.Hour) // the wall clock jumped back a day
	if w.Allow(back) {
		t.Fatalf("Allow(a day before the last event) = true, want false")
	}
	if got, want := w.NextAllowed(back), back.Add(2*time.Hour); !got.Equal(want) {
		t.Errorf("NextAllowed(back) = %v, want %v (pulled back to now + Period)", got, want)
	}
	if w.Allow(back.Add(2*time.Hour - 1)) {
		t.Errorf("Allow(back+2h-1ns) = true, want false")
	}
}

// TestWindowClockBackAndForth: a clock that steps back less than a Period
// and then forward again never frees the budget early (the events are not
// rewritten).
func TestWindowClockBackAndForth(t *testing.T) {
	w := &Window{Max: 1, Period: 24 * time.Hour}
	w.Record(t0)
	if w.Allow(t0.Add(-12 * time.Hour)) {
		t.Fatal("Allow(12h back) = true, want false")
	}
	if w.Allow(t0.Add(24*time.Hour - time.Second)) {
		t.Errorf("Allow(24h-1s after the event, after a step back) = true, want false")
	}
	if !w.Allow(t0.Add(24 * time.Hour)) {
		t.Errorf("Allow(24h after the event) = false, want true")
	}
}

func TestUpload(t *testing.T) {
	type op struct {
		at       time.Duration
		record   bool // record an attempt instead of asking
		accepted bool
		wantOK   bool
		wantNext time.Duration
	}
	day := 24 * time.Hour
	tests := []struct {
		name string
		ops  []op
	}{
		{"fresh allows", []op{{at: 0, wantOK: true}}},
		{"accepted blocks for MinInterval", []op{
			{at: 0, record: true, accepted: true},
			{at: time.Hour, wantOK: false, wantNext: 7 * day},
			{at: 7*day - 1, wantOK: false, wantNext: 7 * day},
			{at: 7 * day, wantOK: true},
		}},
		{"failure blocks for RetryInterval only", []op{
			{at: 0, record: true},
			{at: 59 * time.Minute, wantOK: false, wantNext: time.Hour},
			{at: time.Hour, wantOK: true},
			{at: time.Hour, record: true},
			{at: 90 * time.Minute, wantOK: false, wantNext: 2 * time.Hour},
			{at: 2 * time.Hour, wantOK: true},
		}},
		{"failure after accepted does not extend MinInterval", []op{
			{at: 0, record: true, accepted: true},
			{at: 7 * day, record: true},
			{at: 7*day + 30*time.Minute, wantOK: false, wantNext: 7*day + time.Hour},
			{at: 7*day + time.Hour, wantOK: true},
		}},
		{"clock far backwards blocks for at most two intervals", []op{
			{at: 0, record: true, accepted: true},
			{at: -30 * day, wantOK: false, wantNext: -16 * day},
		}},
		{"clock back and forth never hastens", []op{
			{at: 0, record: true, accepted: true},
			{at: -12 * time.Hour, wantOK: false, wantNext: 7 * day},
			{at: 7*day - time.Second, wantOK: false, wantNext: 7 * day},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := &Upload{MinInterval: DefaultUploadMinInterval, RetryInterval: DefaultUploadRetry}
			for i, o := range tc.ops {
				now := t0.Add(o.at)
				if o.record {
					u.Record(now, o.accepted)
					continue
				}
				ok, next, reason := u.Allow(now)
				if ok != o.wantOK {
					t.Fatalf("op %d: Allow(t0+%v) = %v (%s), want %v", i, o.at, ok, reason, o.wantOK)
				}
				if !ok && (!next.Equal(t0.Add(o.wantNext)) || reason == "") {
					t.Errorf("op %d: Allow(t0+%v) next, reason = t0+%v, %q, want t0+%v and a reason", i, o.at, next.Sub(t0), reason, o.wantNext)
				}
			}
		})
	}
}
