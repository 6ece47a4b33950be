package faults

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/ratelimit"
	"github.com/pagekite/pkwatchdogd/internal/watchdog"
)

// scenario is one fault: what it must lead to, and how to run it. run
// returns the restarts and uploads it saw; it fails t for anything else
// that went wrong.
type scenario struct {
	name         string
	wantRestarts int
	wantUploads  int
	run          func(t *testing.T) (restarts, uploads int)
}

// outcome is a scenario's row in the table.
type outcome struct {
	state             rowState
	restarts, uploads int
}

// rowState says whether a scenario ran to the end.
type rowState int

const (
	// notSelected: -run left the scenario out.
	notSelected rowState = iota
	// stopped: the scenario stopped early (t.Fatal) or was skipped (a
	// missing prerequisite: pktest skips locally and fails in CI).
	stopped
	ran
)

func TestFaults(t *testing.T) {
	var all []scenario
	all = append(all, loopScenarios()...)
	all = append(all, instanceScenarios()...)
	all = append(all, networkScenarios()...)
	all = append(all, misleadingScenarios()...)
	all = append(all, processScenarios()...)
	all = append(all, collectorScenarios()...)
	all = append(all, stateScenarios()...)
	all = append(all, weekScenarios()...)

	// Each subtest writes only its own row; t.Run of the group returns
	// once every parallel subtest has ended.
	rows := make([]outcome, len(all))
	t.Run("scenarios", func(t *testing.T) {
		for i, sc := range all {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				row := outcome{state: stopped}
				defer func() { rows[i] = row }()
				r, u := sc.run(t)
				row = outcome{state: ran, restarts: r, uploads: u}
				if r != sc.wantRestarts {
					t.Errorf("%s: restarts = %d, want %d", sc.name, r, sc.wantRestarts)
				}
				if u != sc.wantUploads {
					t.Errorf("%s: uploads = %d, want %d", sc.name, u, sc.wantUploads)
				}
			})
		}
	})

	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\trestarts expected\trestarts seen\tuploads expected\tuploads seen\t")
	mismatches, selected := 0, 0
	for i, sc := range all {
		row := rows[i]
		seenR, seenU, mark := fmt.Sprint(row.restarts), fmt.Sprint(row.uploads), ""
		switch {
		case row.state == notSelected:
			continue
		case row.state == stopped:
			seenR, seenU, mark = "-", "-", "skipped or stopped early"
		case row.restarts != sc.wantRestarts || row.uploads != sc.wantUploads:
			mark = "MISMATCH"
			mismatches++
		}
		selected++
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\n", sc.name, sc.wantRestarts, seenR, sc.wantUploads, seenU, mark)
	}
	tw.Flush()
	t.Log("\n" + b.String())
	if mismatches > 0 {
		t.Errorf("%d of %d scenarios did not match", mismatches, selected)
	}
}

// Fake-time defaults: the lead's stock policy, at a scale where hours of
// fake time stay cheap.
const (
	fakeInterval  = 10 * time.Second
	fakeThreshold = 3
	fakeGrace     = 30 * time.Second
	fakeCooldown  = 60 * time.Second
	restartMax    = 3
	restartWindow = 24 * time.Hour
	uploadEvery   = 168 * time.Hour
	uploadRetry   = time.Hour
)

// fakePolicy is the instances' restart policy at the fake-time scale.
var fakePolicy = desk.Policy{Cooldown: fakeCooldown, MaxCooldown: 10 * time.Minute}

// fakeSettings watches each kite as the only kite of its own PageKite
// instance, named after it, as most scenarios are about one kite.
func fakeSettings(kites ...string) *watchdog.Settings {
	s := &watchdog.Settings{
		Interval: fakeInterval,
		Timeout:  3 * time.Second,
		Policy: fsm.Policy{
			FailureThreshold: fakeThreshold,
			GracePeriod:      fakeGrace,
		},
	}
	for _, k := range kites {
		s.Instances = append(s.Instances, desk.Instance{Name: k, Policy: fakePolicy,
			Targets: []probe.Target{{Name: k, Kind: probe.KindHTTP}}})
	}
	return s
}

// instanceSettings watches PageKite instances, each flying the kites given
// for its name.
func instanceSettings(instances map[string][]string) *watchdog.Settings {
	s := fakeSettings()
	names := slices.Sorted(maps.Keys(instances))
	for _, name := range names {
		in := desk.Instance{Name: name, Policy: fakePolicy}
		for _, k := range instances[name] {
			in.Targets = append(in.Targets, probe.Target{Name: k, Kind: probe.KindHTTP})
		}
		s.Instances = append(s.Instances, in)
	}
	return s
}

// openStore opens the real persisted rate limiter in a fresh directory (or
// at path, if not empty), failing t on an error.
func openStore(t *testing.T, path string) *ratelimit.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "ratelimit.json")
	}
	st, warn, err := ratelimit.Open(path, restartMax, restartWindow, uploadEvery, uploadRetry, time.Now())
	if err != nil {
		t.Fatalf("ratelimit.Open(%s) = %v", path, err)
	}
	if warn != nil {
		t.Logf("ratelimit.Open(%s) warning: %v", path, warn)
	}
	return st
}

// rig is a running Watchdog with its collaborators.
type rig struct {
	t        *testing.T
	w        *watchdog.Watchdog
	restart  *fakeRestarter
	reporter *countingReporter
	clocks   *fakeClocks
	steps    *stepLog
	prober   *scriptProber
	s        *watchdog.Settings
	started  time.Time
	cancel   context.CancelFunc
	done     chan struct{}
}

// rigOptions are what a scenario may change about a rig.
type rigOptions struct {
	// budget replaces the store as the restart budget (it still limits
	// uploads).
	budget      desk.Budget
	store       *ratelimit.Store
	restarter   desk.Restarter
	reporter    desk.Reporter
	concurrency int
	quiet       bool
}

// startRig runs a Watchdog over s with prober p. Inside synctest.Test it
// runs in fake time. A nil restarter is a fakeRestarter that marks the
// kite restarted in p (if p is a scriptProber).
func startRig(t *testing.T, s *watchdog.Settings, p watchdog.Prober, o rigOptions) *rig {
	t.Helper()
	r := &rig{t: t, clocks: newFakeClocks(), steps: newStepLog(), s: s, started: time.Now(), done: make(chan struct{})}
	r.prober, _ = p.(*scriptProber)
	if o.store == nil {
		o.store = openStore(t, "")
	}
	if o.budget == nil {
		o.budget = o.store
	}
	if o.restarter == nil {
		sp, _ := p.(*scriptProber)
		r.restart = newFakeRestarter(func(kite string) {
			if sp != nil {
				sp.markRestarted(kite)
			}
		})
		o.restarter = r.restart
	}
	r.reporter = &countingReporter{lim: o.store}
	if o.reporter == nil {
		o.reporter = r.reporter
	}
	if o.concurrency == 0 {
		o.concurrency = 4
	}
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	if o.quiet {
		log = zap.NewNop()
	}
	for i := range s.Instances {
		if s.Instances[i].Restarter == nil {
			s.Instances[i].Restarter = o.restarter
		}
	}
	r.w = watchdog.New(log, s, watchdog.Deps{
		Prober:      p,
		Budget:      o.budget,
		Reporter:    o.reporter,
		Observer:    r.steps,
		Clocks:      r.clocks.read,
		Concurrency: o.concurrency,
		Version:     "faults",
	})
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	ready := make(chan struct{})
	go func() {
		defer close(r.done)
		if err := r.w.Run(ctx, func() { close(ready) }); err != nil {
			t.Errorf("Run() = %v", err)
		}
	}()
	<-ready
	return r
}

// stop ends the watchdog and waits for it, then checks that no kite was
// probed much more often than once an interval: whatever the faults, the
// watchdog must not hammer a relay.
func (r *rig) stop() {
	r.t.Helper()
	r.cancel()
	<-r.done
	if r.prober == nil {
		return
	}
	most := 2*int(time.Since(r.started)/r.s.Interval) + 10
	for _, in := range r.s.Instances {
		for _, tg := range in.Targets {
			if n := r.prober.count(tg.Name); n > most {
				r.t.Errorf("%s probed %d times in %v, want at most %d (about one per %v interval)", tg.Name, n, time.Since(r.started), most, r.s.Interval)
			}
		}
	}
}

// restarts is what the fake restarter saw.
func (r *rig) restarts() int { return r.restart.total() }

// uploads is what the counting reporter let through.
func (r *rig) uploads() int {
	_, u := r.reporter.counts()
	return u
}
