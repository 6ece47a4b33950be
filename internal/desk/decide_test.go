package desk

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

func TestDecide(t *testing.T) {
	p := Policy{Cooldown: 10 * time.Minute, MaxCooldown: time.Hour, MinProcessAge: 5 * time.Minute, StartupDelay: 2 * time.Minute}
	ok := Facts{Now: t0, Started: t0.Add(-time.Hour), Uptime: 24 * time.Hour, ProcessStarted: t0.Add(-time.Hour), PID: 7, BudgetOK: true}
	tests := []struct {
		name      string
		change    func(*Facts)
		want      DecisionKind
		wantUntil time.Time
		reason    string
	}{
		{"all clear", func(*Facts) {}, Go, time.Time{}, ""},
		{"no process found", func(f *Facts) { f.ProcessStarted, f.PID = time.Time{}, 0 }, Go, time.Time{}, ""},
		{"cooling down", func(f *Facts) { f.CooldownUntil = t0.Add(time.Minute) }, Cooling, t0.Add(time.Minute), "cooling down"},
		{"cooldown over", func(f *Facts) { f.CooldownUntil = t0 }, Go, time.Time{}, ""},
		{"pkwatchdogd just started", func(f *Facts) { f.Started = t0.Add(-time.Minute) }, Hold, t0.Add(time.Minute), "pkwatchdogd started"},
		{"machine just booted", func(f *Facts) { f.Uptime = 30 * time.Second }, Hold, t0.Add(90 * time.Second), "booted"},
		{"uptime unknown", func(f *Facts) { f.Uptime = 0 }, Go, time.Time{}, ""},
		{"young process", func(f *Facts) { f.ProcessStarted = t0.Add(-time.Minute) }, Hold, t0.Add(4 * time.Minute), "pid 7"},
		{"latest hold wins", func(f *Facts) { f.Started = t0.Add(-time.Minute); f.ProcessStarted = t0 }, Hold, t0.Add(5 * time.Minute), "min_process_age"},
		{"hold before budget", func(f *Facts) { f.ProcessStarted = t0; f.BudgetOK = false }, Hold, t0.Add(5 * time.Minute), "min_process_age"},
		{"budget spent", func(f *Facts) { f.BudgetOK, f.BudgetFreeAt, f.InWindow = false, t0.Add(3*time.Hour), 3 }, Suppress, t0.Add(3 * time.Hour), "3 restarts"},
		{"budget never frees", func(f *Facts) { f.BudgetOK = false }, Suppress, t0.Add(10 * time.Minute), "budget exhausted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ok
			tt.change(&f)
			got := Decide(p, f)
			if got.Kind != tt.want || !got.Until.Equal(tt.wantUntil) || !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("Decide(%s) = %+v, want kind %d until %v with %q", tt.name, got, tt.want, tt.wantUntil, tt.reason)
			}
		})
	}
}

func TestNextCooldown(t *testing.T) {
	p := Policy{Cooldown: 10 * time.Minute, MaxCooldown: 35 * time.Minute}
	tests := []struct {
		prev    time.Duration
		relapse bool
		want    time.Duration
	}{
		{0, false, 10 * time.Minute},
		{0, true, 10 * time.Minute},
		{10 * time.Minute, true, 20 * time.Minute},
		{20 * time.Minute, true, 35 * time.Minute},
		{35 * time.Minute, true, 35 * time.Minute},
		{35 * time.Minute, false, 10 * time.Minute},
	}
	for _, tt := range tests {
		if got := NextCooldown(p, tt.prev, tt.relapse); got != tt.want {
			t.Errorf("NextCooldown(prev %v, relapse %v) = %v, want %v", tt.prev, tt.relapse, got, tt.want)
		}
	}
}
