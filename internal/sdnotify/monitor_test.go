package sdnotify

import (
	"slices"
	"testing"
	"time"
)

func TestMonitorAlive(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	const maxBusy = 2 * time.Minute
	type step struct {
		loop   string // "" for none
		act    string // busy, idle, idle-forever, done
		at     time.Duration
		wakeBy time.Duration
	}
	tests := []struct {
		name  string
		steps []step
		at    time.Duration
		stale []string
	}{
		{name: "no loops", at: time.Hour},
		{name: "busy within limit", steps: []step{{"a", "busy", 0, 0}}, at: maxBusy},
		{name: "busy past limit", steps: []step{{"a", "busy", 0, 0}}, at: maxBusy + time.Second, stale: []string{"a"}},
		{name: "idle before wake", steps: []step{{"a", "idle", 0, time.Minute}}, at: time.Minute},
		{name: "idle within slack", steps: []step{{"a", "idle", 0, time.Minute}}, at: time.Minute + Slack},
		{name: "idle past slack", steps: []step{{"a", "idle", 0, time.Minute}}, at: time.Minute + Slack + time.Second, stale: []string{"a"}},
		{name: "idle without promise", steps: []step{{"a", "idle-forever", 0, 0}}, at: 24 * time.Hour},
		{name: "busy again resets", steps: []step{{"a", "busy", 0, 0}, {"a", "idle", time.Minute, 2 * time.Minute}, {"a", "busy", 2 * time.Minute, 0}}, at: 2*time.Minute + maxBusy},
		{name: "done loop is forgotten", steps: []step{{"a", "busy", 0, 0}, {"a", "done", time.Second, 0}}, at: time.Hour},
		{
			name: "only the wedged ones, sorted",
			steps: []step{
				{"kite b", "busy", 0, 0}, {"main", "idle", 0, time.Hour},
				{"kite a", "idle", 0, time.Minute}, {"kite c", "busy", 5 * time.Minute, 0},
			},
			at: 6 * time.Minute, stale: []string{"kite a", "kite b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMonitor(maxBusy)
			loops := map[string]*Loop{}
			for _, s := range tt.steps {
				l := loops[s.loop]
				if l == nil {
					l = m.Register(s.loop)
					loops[s.loop] = l
				}
				switch s.act {
				case "busy":
					l.Busy(t0.Add(s.at))
				case "idle":
					l.Idle(t0.Add(s.at), t0.Add(s.wakeBy))
				case "idle-forever":
					l.Idle(t0.Add(s.at), time.Time{})
				case "done":
					l.Done()
				default:
					t.Fatalf("bad step %q", s.act)
				}
			}
			ok, stale := m.Alive(t0.Add(tt.at))
			if ok != (len(tt.stale) == 0) || !slices.Equal(stale, tt.stale) {
				t.Errorf("Alive(+%v) = %v, %q, want %v, %q", tt.at, ok, stale, len(tt.stale) == 0, tt.stale)
			}
		})
	}
}

// TestMonitorUnreported: a loop that never reports counts as busy from the
// first Alive call that sees it.
func TestMonitorUnreported(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	m := NewMonitor(time.Minute)
	m.Register("silent")
	for _, tt := range []struct {
		at   time.Duration
		want bool
	}{{0, true}, {time.Minute, true}, {time.Minute + time.Second, false}} {
		if ok, stale := m.Alive(t0.Add(tt.at)); ok != tt.want {
			t.Errorf("Alive(+%v) = %v, %q, want %v", tt.at, ok, stale, tt.want)
		}
	}
}

func TestNewMonitorDefault(t *testing.T) {
	if got := NewMonitor(0).maxBusy; got != DefaultMaxBusy {
		t.Errorf("NewMonitor(0).maxBusy = %v, want %v", got, DefaultMaxBusy)
	}
}
