package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/watchdog"
)

func newTest(t *testing.T) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	return New(reg), reg
}

func TestStateOneHot(t *testing.T) {
	steps := []fsm.Step{
		{From: fsm.Healthy, To: fsm.Suspect, Changed: true},
		{From: fsm.Suspect, To: fsm.Grace, Changed: true},
		{From: fsm.Grace, To: fsm.Restarting, Changed: true},
		{From: fsm.Restarting, To: fsm.Cooldown, Changed: true},
		{From: fsm.Cooldown, To: fsm.Healthy, Changed: true},
	}
	m, _ := newTest(t)
	for _, step := range steps {
		t.Run(string(step.To), func(t *testing.T) {
			m.Changed("a.kite.test", step)
			for _, s := range fsm.AllStates() {
				got := read(t, m.state.WithLabelValues("a.kite.test", string(s)))
				if want := oneIf(s == step.To); got != want {
					t.Errorf("after Changed(%s→%s): kite_state{state=%q} = %v, want %v", step.From, step.To, s, got, want)
				}
			}
			if got := read(t, m.stateChanges.WithLabelValues("a.kite.test", string(step.From), string(step.To))); got != 1 {
				t.Errorf("kite_state_changes_total{from=%q,to=%q} = %v, want 1", step.From, step.To, got)
			}
		})
	}
}

func TestUnchangedStepNotCounted(t *testing.T) {
	m, _ := newTest(t)
	m.Changed("k", fsm.Step{From: fsm.Suspect, To: fsm.Suspect})
	if got := count(t, m.stateChanges); got != 0 {
		t.Errorf("series of kite_state_changes_total after an unchanged step = %d, want 0", got)
	}
	if got := read(t, m.state.WithLabelValues("k", "suspect")); got != 1 {
		t.Errorf("kite_state{state=suspect} = %v, want 1", got)
	}
}

func TestFirstSightIsHealthy(t *testing.T) {
	m, _ := newTest(t)
	m.Probed("k", probe.Result{Verdict: probe.Flying, Duration: 10 * time.Millisecond})
	for _, s := range fsm.AllStates() {
		got := read(t, m.state.WithLabelValues("k", string(s)))
		if want := oneIf(s == fsm.Healthy); got != want {
			t.Errorf("kite_state{state=%q} after first probe = %v, want %v", s, got, want)
		}
	}
	// The suppressed counter of each instance exists at 0 so that
	// increase() sees the first.
	m.Pagekites([]string{"main"})
	if got := count(t, m.suppressed); got != 1 {
		t.Errorf("series of restarts_suppressed_total = %d, want 1", got)
	}
}

func TestProbed(t *testing.T) {
	tests := []struct {
		v    probe.Verdict
		d    time.Duration
		want float64 // sample count so far for this kite
	}{
		{probe.Flying, 7 * time.Millisecond, 1},
		{probe.KiteDown, 1100 * time.Millisecond, 2},
		{probe.KiteDown, 1200 * time.Millisecond, 3},
		{probe.Stalled, 3 * time.Second, 4},
		{probe.Unreachable, 2 * time.Millisecond, 5},
		{probe.Unrecognized, 20 * time.Millisecond, 6},
		{probe.BackendDown, 11 * time.Millisecond, 7},
	}
	m, _ := newTest(t)
	counts := map[probe.Verdict]float64{}
	for _, tt := range tests {
		t.Run(string(tt.v), func(t *testing.T) {
			m.Probed("k", probe.Result{Verdict: tt.v, Duration: tt.d})
			counts[tt.v]++
			for _, v := range verdicts {
				got := read(t, m.lastVerdict.WithLabelValues("k", string(v)))
				if want := oneIf(v == tt.v); got != want {
					t.Errorf("Probed(%s): kite_last_verdict{verdict=%q} = %v, want %v", tt.v, v, got, want)
				}
			}
			if got, want := read(t, m.verdicts.WithLabelValues("k", string(tt.v))), counts[tt.v]; got != want {
				t.Errorf("Probed(%s): probe_verdicts_total = %v, want %v", tt.v, got, want)
			}
		})
	}
}

func TestProbeDurationHistogram(t *testing.T) {
	m, reg := newTest(t)
	m.Probed("k", probe.Result{Verdict: probe.Flying, Duration: 4 * time.Millisecond})
	m.Probed("k", probe.Result{Verdict: probe.KiteDown, Duration: 1100 * time.Millisecond})
	m.Probed("k", probe.Result{Verdict: probe.Stalled, Duration: 19 * time.Second})
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather() error = %v", err)
	}
	for _, f := range fams {
		if f.GetName() != "pkwatchdogd_probe_duration_seconds" {
			continue
		}
		h := f.GetMetric()[0].GetHistogram()
		if got, want := h.GetSampleCount(), uint64(3); got != want {
			t.Errorf("probe_duration_seconds count = %d, want %d", got, want)
		}
		if got, want := h.GetSampleSum(), 20.104; got < want-1e-9 || got > want+1e-9 {
			t.Errorf("probe_duration_seconds sum = %v, want %v", got, want)
		}
		cum := map[float64]uint64{}
		for _, b := range h.GetBucket() {
			cum[b.GetUpperBound()] = b.GetCumulativeCount()
		}
		for bound, want := range map[float64]uint64{0.005: 1, 1: 1, 2.5: 2, 10: 2, 20: 3} {
			if got := cum[bound]; got != want {
				t.Errorf("probe_duration_seconds_bucket{le=%v} = %d, want %d", bound, got, want)
			}
		}
		return
	}
	t.Fatal("pkwatchdogd_probe_duration_seconds not gathered")
}

func TestCounters(t *testing.T) {
	m, _ := newTest(t)
	m.Restarted("k", action.Result{Outcome: action.OutcomeRestarted})
	m.Restarted("k", action.Result{Outcome: action.OutcomeRestarted})
	m.Suppressed("k", "restart budget exhausted")
	for range 3 {
		m.WatchdogPing()
	}
	m.Reported("k", watchdog.ReportBuilt)
	m.Reported("k", watchdog.ReportUploaded)
	m.Reported("j", watchdog.ReportBuilt)

	tests := []struct {
		name string
		c    prometheus.Metric
		want float64
	}{
		{"restarts_total{k,restarted}", m.restarts.WithLabelValues("k", action.OutcomeRestarted), 2},
		{"restarts_suppressed_total{k}", m.suppressed.WithLabelValues("k"), 1},
		{"watchdog_pings_total", m.pings, 3},
		{"reports_total{built}", m.reports.WithLabelValues("built"), 2},
		{"reports_total{uploaded}", m.reports.WithLabelValues("uploaded"), 1},
		{"reports_total{rate-limited}", m.reports.WithLabelValues("rate-limited"), 0},
		{"reports_total{failed}", m.reports.WithLabelValues("failed"), 0},
	}
	for _, tt := range tests {
		if got := read(t, tt.c); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestForget(t *testing.T) {
	m, reg := newTest(t)
	for _, k := range []string{"gone.kite.test", "stays.kite.test"} {
		m.Probed(k, probe.Result{Verdict: probe.KiteDown, Duration: time.Second})
		m.Changed(k, fsm.Step{From: fsm.Healthy, To: fsm.Suspect, Changed: true})
	}
	m.Forget("gone.kite.test")
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather() error = %v", err)
	}
	stays := 0
	for _, f := range fams {
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() != "kite" {
					continue
				}
				switch l.GetValue() {
				case "gone.kite.test":
					t.Errorf("after Forget: %s still has a series for the forgotten kite", f.GetName())
				case "stays.kite.test":
					stays++
				}
			}
		}
	}
	// state 5 + verdict 7 + duration 1 + verdicts 1 + changes 1; restarts
	// are counted by instance
	if want := 15; stays != want {
		t.Errorf("series of the remaining kite = %d, want %d", stays, want)
	}
	// A forgotten kite seen again starts over as healthy.
	m.Probed("gone.kite.test", probe.Result{Verdict: probe.Flying})
	if got := read(t, m.state.WithLabelValues("gone.kite.test", "healthy")); got != 1 {
		t.Errorf("kite_state{state=healthy} of a kite seen again = %v, want 1", got)
	}
}

func TestLint(t *testing.T) {
	m, reg := newTest(t)
	m.Probed("k", probe.Result{Verdict: probe.Flying, Duration: time.Millisecond})
	m.Changed("k", fsm.Step{From: fsm.Healthy, To: fsm.Suspect, Changed: true})
	m.Restarted("k", action.Result{Outcome: action.OutcomeRestarted})
	m.WatchdogPing()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather() error = %v", err)
	}
	problems, err := promlint.NewWithMetricFamilies(fams).Lint()
	if err != nil {
		t.Fatalf("Lint() error = %v", err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestConcurrentUse(t *testing.T) {
	m, reg := newTest(t)
	done := make(chan struct{})
	for i := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range 200 {
				m.Probed("k", probe.Result{Verdict: verdicts[(i+j)%len(verdicts)]})
				m.Changed("k", fsm.Step{From: fsm.AllStates()[j%5], To: fsm.AllStates()[(j+1)%5], Changed: true})
				if j%50 == 0 {
					m.Forget("k")
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("Gather() error = %v", err)
	}
	// Whatever the interleaving, exactly one state is set.
	sum := 0.0
	for _, s := range fsm.AllStates() {
		sum += read(t, m.state.WithLabelValues("k", string(s)))
	}
	if sum != 1 {
		t.Errorf("sum of kite_state over states = %v, want 1", sum)
	}
}

// read returns the value of one gauge or counter.
func read(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatalf("Write() error = %v", err)
	}
	switch {
	case d.Gauge != nil:
		return d.GetGauge().GetValue()
	case d.Counter != nil:
		return d.GetCounter().GetValue()
	}
	t.Fatalf("read: %v is neither a gauge nor a counter", m.Desc())
	return 0
}

// count returns how many series c has.
func count(t *testing.T, c prometheus.Collector) int {
	t.Helper()
	ch := make(chan prometheus.Metric)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	n := 0
	for range ch {
		n++
	}
	return n
}
