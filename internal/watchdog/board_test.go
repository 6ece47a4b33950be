package watchdog

import (
	"strings"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/status"
)

func TestBoardKeepsNamesSorted(t *testing.T) {
	b := newBoard()
	for _, n := range []string{"c.kite.test", "a.kite.test", "d.kite.test", "b.kite.test"} {
		b.set(kiteUpdate{kite: status.Kite{Name: n, State: "healthy"}})
	}
	b.remove("c.kite.test")
	b.remove("nope.kite.test")
	b.update(kiteUpdate{kite: status.Kite{Name: "b.kite.test", State: "grace"}, significant: true})
	b.update(kiteUpdate{kite: status.Kite{Name: "gone.kite.test", State: "grace"}}) // removed: ignored
	kites, lines := b.list()
	var names []string
	for _, k := range kites {
		names = append(names, k.name)
	}
	if want := "a.kite.test b.kite.test d.kite.test"; strings.Join(names, " ") != want || len(lines) != 3 {
		t.Fatalf("list() = %v (%d lines), want %s", names, len(lines), want)
	}
	if kites[1].state != "grace" {
		t.Errorf("b.kite.test state = %s, want grace after the update", kites[1].state)
	}
	f := &status.File{}
	if got, want := summary(f, kites, time.Now()), "3 kites: 2 healthy, 1 grace (b.kite.test, restart due)"; got != want {
		t.Errorf("summary() = %q, want %q", got, want)
	}
}

func TestFlushAfter(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want time.Duration
	}{{1, time.Second}, {1000, time.Second}, {5000, 5 * time.Second}} {
		if got := flushAfter(tt.n); got != tt.want {
			t.Errorf("flushAfter(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}
