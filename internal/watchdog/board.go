package watchdog

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/status"
)

// kiteUpdate is what a kite loop tells the main loop after each probe.
type kiteUpdate struct {
	kite status.Kite
	// significant marks a change worth writing the status file for at once
	// (state, verdict, count, deadline, note); otherwise the periodic
	// refresh picks it up.
	significant bool
	// deadline is the grace or cooldown end, for the STATUS= line.
	deadline time.Time
}

// entry is one kite on the board: its status and its encoded line.
type entry struct {
	kite status.Kite
	line []byte // status.EncodeKite(&kite)
}

func newEntry(k status.Kite) entry { return entry{kite: k, line: status.EncodeKite(&k)} }

// board is the main loop's view of every kite, for the status file. Only
// the main loop goroutine touches it. Each kite's line is encoded when the
// kite reports, so that writing the file costs no encoding of the kites
// that did not change.
type board struct {
	kites map[string]entry
	dirty bool
}

func newBoard() *board {
	return &board{kites: make(map[string]entry)}
}

func (b *board) set(u kiteUpdate) {
	b.kites[u.kite.Name] = newEntry(u.kite)
	b.dirty = true
}

func (b *board) update(u kiteUpdate) {
	if _, ok := b.kites[u.kite.Name]; !ok {
		return // a kite removed by a reload, whose last update came late
	}
	b.kites[u.kite.Name] = newEntry(u.kite)
	if u.significant {
		b.dirty = true
	}
}

func (b *board) remove(name string) {
	delete(b.kites, name)
	b.dirty = true
}

// list returns the kites and their encoded lines, sorted by name.
func (b *board) list() ([]status.Kite, [][]byte) {
	names := make([]string, 0, len(b.kites))
	for name := range b.kites {
		names = append(names, name)
	}
	slices.Sort(names)
	kites := make([]status.Kite, 0, len(names))
	lines := make([][]byte, 0, len(names))
	for _, name := range names {
		e := b.kites[name]
		kites = append(kites, e.kite)
		lines = append(lines, e.line)
	}
	return kites, lines
}

// stateOrder is the order of states in the summary line.
var stateOrder = []fsm.State{fsm.Healthy, fsm.Suspect, fsm.Grace, fsm.Restarting, fsm.Cooldown}

// summary is the one-line STATUS= text, e.g.
// "3 kites: 2 healthy, 1 grace (foo.pagekite.me, restart in 4m0s)".
func summary(f *status.File, now time.Time) string {
	counts := make(map[string]int)
	var grace []string
	for _, k := range f.Kites {
		counts[k.State]++
		if k.State == string(fsm.Grace) {
			in := "due"
			if d, err := time.Parse(time.RFC3339, k.Deadline); err == nil && d.After(now) {
				in = "in " + d.Sub(now).Round(time.Second).String()
			}
			grace = append(grace, fmt.Sprintf("%s, restart %s", k.Name, in))
		}
	}
	var parts []string
	for _, s := range stateOrder {
		if n := counts[string(s)]; n > 0 {
			p := fmt.Sprintf("%d %s", n, s)
			if s == fsm.Grace && len(grace) > 0 {
				p += " (" + strings.Join(grace[:min(len(grace), 3)], "; ") + ")"
			}
			parts = append(parts, p)
		}
	}
	noun := "kites"
	if len(f.Kites) == 1 {
		noun = "kite"
	}
	line := fmt.Sprintf("%d %s", len(f.Kites), noun)
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	if f.DryRun {
		line += " [dry run]"
	}
	for _, p := range f.Pagekites {
		if p.State == "restarting" || p.State == "queued" {
			line += "; pagekite " + p.Name + " " + p.State
		}
	}
	if f.ConfigError != "" {
		line += "; config reload failed: " + f.ConfigError
	}
	return line + restartNote(f.RestartNeeded)
}
