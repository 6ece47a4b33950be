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

// entry is one kite on the board: its encoded status line, and what the
// STATUS= summary reads of it.
type entry struct {
	name, state, deadline string
	line                  []byte // status.EncodeKite
}

func newEntry(k status.Kite) *entry {
	return &entry{name: k.Name, state: k.State, deadline: k.Deadline, line: status.EncodeKite(&k)}
}

// board is the main loop's view of every kite, for the status file. Only
// the main loop goroutine touches it. Each kite's line is encoded when the
// kite reports, and the names are kept sorted, so that writing the file
// costs no encoding of the kites that did not change, and no sort.
type board struct {
	kites map[string]*entry
	names []string // the keys of kites, sorted
	dirty bool
}

func newBoard() *board {
	return &board{kites: make(map[string]*entry)}
}

func (b *board) set(u kiteUpdate) {
	name := u.kite.Name
	if _, ok := b.kites[name]; !ok {
		i, _ := slices.BinarySearch(b.names, name)
		b.names = slices.Insert(b.names, i, name)
	}
	b.kites[name] = newEntry(u.kite)
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
	if _, ok := b.kites[name]; !ok {
		return
	}
	delete(b.kites, name)
	if i, found := slices.BinarySearch(b.names, name); found {
		b.names = slices.Delete(b.names, i, i+1)
	}
	b.dirty = true
}

// list returns the entries and their encoded lines, sorted by name.
func (b *board) list() ([]*entry, [][]byte) {
	kites := make([]*entry, 0, len(b.names))
	lines := make([][]byte, 0, len(b.names))
	for _, name := range b.names {
		e := b.kites[name]
		kites = append(kites, e)
		lines = append(lines, e.line)
	}
	return kites, lines
}

// flushAfter is how soon a significant change reaches the status file
// with n kites: flushDelay, or one millisecond per kite from 1000 kites on
// (5 s for 5000), so that rewriting a file of n kites costs about the same
// share of a core however many there are.
func flushAfter(n int) time.Duration {
	return max(flushDelay, time.Duration(n)*time.Millisecond)
}

// stateOrder is the order of states in the summary line.
var stateOrder = []fsm.State{fsm.Healthy, fsm.Suspect, fsm.Grace, fsm.Restarting, fsm.Cooldown}

// summary is the one-line STATUS= text, e.g.
// "3 kites: 2 healthy, 1 grace (foo.pagekite.me, restart in 4m0s)", for
// the file f (its Kites are not read) and the board's kites.
func summary(f *status.File, kites []*entry, now time.Time) string {
	counts := make(map[string]int)
	var grace []string
	for _, k := range kites {
		counts[k.state]++
		if k.state == string(fsm.Grace) {
			in := "due"
			if d, err := time.Parse(time.RFC3339, k.deadline); err == nil && d.After(now) {
				in = "in " + d.Sub(now).Round(time.Second).String()
			}
			grace = append(grace, fmt.Sprintf("%s, restart %s", k.name, in))
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
	if len(kites) == 1 {
		noun = "kite"
	}
	line := fmt.Sprintf("%d %s", len(kites), noun)
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
