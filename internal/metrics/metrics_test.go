package metrics

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/report"
)

// gather writes m out and parses it with Prometheus' own text parser.
func gather(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	var b bytes.Buffer
	n, err := m.WriteTo(&b)
	if err != nil {
		t.Fatalf("WriteTo() error = %v", err)
	}
	if n != int64(b.Len()) {
		t.Errorf("WriteTo() = %d bytes, wrote %d", n, b.Len())
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("parsing WriteTo's output: %v\n%s", err, b.String())
	}
	return fams
}

// read returns the value of the one gauge or counter of family name
// ("pkwatchdogd_" left out) whose labels are exactly labels (name=value
// pairs); 0 when there is no such series, as for an untouched counter.
func read(t *testing.T, m *Metrics, name string, labels ...string) float64 {
	t.Helper()
	v, _ := lookup(gather(t, m), namespace+"_"+name, labels...)
	return v
}

// lookup finds the series of family name whose labels are exactly labels.
func lookup(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
next:
	for _, mt := range fams[name].GetMetric() {
		if len(mt.GetLabel()) != len(want) {
			continue
		}
		for _, l := range mt.GetLabel() {
			if want[l.GetName()] != l.GetValue() {
				continue next
			}
		}
		switch {
		case mt.Gauge != nil:
			return mt.GetGauge().GetValue(), true
		case mt.Counter != nil:
			return mt.GetCounter().GetValue(), true
		case mt.Histogram != nil:
			return float64(mt.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// seriesOfKite counts the series, over every family, labelled with kite.
func seriesOfKite(fams map[string]*dto.MetricFamily, kite string) int {
	n := 0
	for _, f := range fams {
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "kite" && l.GetValue() == kite {
					n++
				}
			}
		}
	}
	return n
}

// count returns how many series family name has.
func count(t *testing.T, m *Metrics, name string) int {
	t.Helper()
	return len(gather(t, m)[namespace+"_"+name].GetMetric())
}

func TestStateOneHot(t *testing.T) {
	steps := []fsm.Step{
		{From: fsm.Healthy, To: fsm.Suspect, Changed: true},
		{From: fsm.Suspect, To: fsm.Grace, Changed: true},
		{From: fsm.Grace, To: fsm.Restarting, Changed: true},
		{From: fsm.Restarting, To: fsm.Cooldown, Changed: true},
		{From: fsm.Cooldown, To: fsm.Healthy, Changed: true},
	}
	m := New()
	for _, step := range steps {
		t.Run(string(step.To), func(t *testing.T) {
			m.Changed("a.kite.test", step)
			for _, s := range fsm.AllStates() {
				got := read(t, m, "kite_state", "kite", "a.kite.test", "state", string(s))
				if want := float64(oneIf(s == step.To)); got != want {
					t.Errorf("after Changed(%s→%s): kite_state{state=%q} = %v, want %v", step.From, step.To, s, got, want)
				}
			}
			if got := read(t, m, "kite_state_changes_total", "kite", "a.kite.test", "from", string(step.From), "to", string(step.To)); got != 1 {
				t.Errorf("kite_state_changes_total{from=%q,to=%q} = %v, want 1", step.From, step.To, got)
			}
		})
	}
}

func TestUnchangedStepNotCounted(t *testing.T) {
	m := New()
	m.Changed("k", fsm.Step{From: fsm.Suspect, To: fsm.Suspect})
	if got := count(t, m, "kite_state_changes_total"); got != 0 {
		t.Errorf("series of kite_state_changes_total after an unchanged step = %d, want 0", got)
	}
	if got := read(t, m, "kite_state", "kite", "k", "state", "suspect"); got != 1 {
		t.Errorf("kite_state{state=suspect} = %v, want 1", got)
	}
}

func TestFirstSightIsHealthy(t *testing.T) {
	m := New()
	m.Probed("k", probe.Result{Verdict: probe.Flying, Duration: 10 * time.Millisecond})
	for _, s := range fsm.AllStates() {
		got := read(t, m, "kite_state", "kite", "k", "state", string(s))
		if want := float64(oneIf(s == fsm.Healthy)); got != want {
			t.Errorf("kite_state{state=%q} after first probe = %v, want %v", s, got, want)
		}
	}
	// The suppressed counter and the restarted outcome's counter of each
	// instance exist at 0 so that increase() sees the first.
	m.Pagekites([]string{"main"})
	if got := count(t, m, "restarts_suppressed_total"); got != 1 {
		t.Errorf("series of restarts_suppressed_total = %d, want 1", got)
	}
	if got := read(t, m, "restarts_total", "pagekite", "main", "outcome", action.OutcomeRestarted); got != 0 {
		t.Errorf("restarts_total{pagekite=main,outcome=restarted} before any restart = %v, want 0", got)
	}
	if got := count(t, m, "restarts_total"); got != 1 {
		t.Errorf("series of restarts_total = %d, want 1", got)
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
	m := New()
	counts := map[probe.Verdict]float64{}
	for _, tt := range tests {
		t.Run(string(tt.v), func(t *testing.T) {
			m.Probed("k", probe.Result{Verdict: tt.v, Duration: tt.d})
			counts[tt.v]++
			for _, v := range verdicts {
				got := read(t, m, "kite_last_verdict", "kite", "k", "verdict", string(v))
				if want := float64(oneIf(v == tt.v)); got != want {
					t.Errorf("Probed(%s): kite_last_verdict{verdict=%q} = %v, want %v", tt.v, v, got, want)
				}
			}
			if got, want := read(t, m, "probe_verdicts_total", "kite", "k", "verdict", string(tt.v)), counts[tt.v]; got != want {
				t.Errorf("Probed(%s): probe_verdicts_total = %v, want %v", tt.v, got, want)
			}
		})
	}
}

func TestProbeDurationHistogram(t *testing.T) {
	m := New()
	m.Probed("k", probe.Result{Verdict: probe.Flying, Duration: 4 * time.Millisecond})
	m.Probed("k", probe.Result{Verdict: probe.KiteDown, Duration: 1100 * time.Millisecond})
	m.Probed("k", probe.Result{Verdict: probe.Stalled, Duration: 19 * time.Second})
	for _, f := range gather(t, m) {
		if f.GetName() != "pkwatchdogd_probe_duration_seconds" {
			continue
		}
		if got := f.GetType(); got != dto.MetricType_HISTOGRAM {
			t.Errorf("type of probe_duration_seconds = %v, want histogram", got)
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
	m := New()
	m.Restarted("k", action.Result{Outcome: action.OutcomeRestarted})
	m.Restarted("k", action.Result{Outcome: action.OutcomeRestarted})
	m.Suppressed("k", "restart budget exhausted")
	for range 3 {
		m.WatchdogPing()
	}
	m.Reported("k", report.OutcomeBuilt)
	m.Reported("k", report.OutcomeUploaded)
	m.Reported("j", report.OutcomeBuilt)

	fams := gather(t, m)
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"restarts_total", []string{"pagekite", "k", "outcome", action.OutcomeRestarted}, 2},
		{"restarts_suppressed_total", []string{"pagekite", "k"}, 1},
		{"watchdog_pings_total", nil, 3},
		{"reports_total", []string{"outcome", "built"}, 2},
		{"reports_total", []string{"outcome", "uploaded"}, 1},
		// Every outcome exists from the start, at 0.
		{"reports_total", []string{"outcome", "rate-limited"}, 0},
		{"reports_total", []string{"outcome", "failed"}, 0},
	}
	for _, tt := range tests {
		got, ok := lookup(fams, namespace+"_"+tt.name, tt.labels...)
		if !ok || got != tt.want {
			t.Errorf("%s%v = %v (present %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
}

func TestForget(t *testing.T) {
	m := New()
	for _, k := range []string{"gone.kite.test", "stays.kite.test"} {
		m.Probed(k, probe.Result{Verdict: probe.KiteDown, Duration: time.Second})
		m.Changed(k, fsm.Step{From: fsm.Healthy, To: fsm.Suspect, Changed: true})
	}
	m.Forget("gone.kite.test")
	fams := gather(t, m)
	if n := seriesOfKite(fams, "gone.kite.test"); n != 0 {
		t.Errorf("after Forget: %d series of the forgotten kite, want 0", n)
	}
	stays := seriesOfKite(fams, "stays.kite.test")
	// state 5 + verdict 7 + duration 1 + verdicts 1 + changes 1; restarts
	// are counted by instance
	if want := 15; stays != want {
		t.Errorf("series of the remaining kite = %d, want %d", stays, want)
	}
	// A forgotten kite seen again starts over as healthy.
	m.Probed("gone.kite.test", probe.Result{Verdict: probe.Flying})
	if got := read(t, m, "kite_state", "kite", "gone.kite.test", "state", "healthy"); got != 1 {
		t.Errorf("kite_state{state=healthy} of a kite seen again = %v, want 1", got)
	}
}

func TestLint(t *testing.T) {
	m := New()
	m.Probed("k", probe.Result{Verdict: probe.Flying, Duration: time.Millisecond})
	m.Changed("k", fsm.Step{From: fsm.Healthy, To: fsm.Suspect, Changed: true})
	m.Restarted("k", action.Result{Outcome: action.OutcomeRestarted})
	m.WatchdogPing()
	m.Pagekites([]string{"main"})
	m.Reported("k", report.OutcomeBuilt)
	var b strings.Builder
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatalf("WriteTo() error = %v", err)
	}
	problems, err := promlint.New(strings.NewReader(b.String())).Lint()
	if err != nil {
		t.Fatalf("Lint() error = %v", err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestConcurrentUse(t *testing.T) {
	m := New()
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
	gather(t, m)
	// Whatever the interleaving, exactly one state is set.
	sum := 0.0
	for _, s := range fsm.AllStates() {
		sum += read(t, m, "kite_state", "kite", "k", "state", string(s))
	}
	if sum != 1 {
		t.Errorf("sum of kite_state over states = %v, want 1", sum)
	}
}

func TestUnusualValues(t *testing.T) {
	m := New()
	// Label values are escaped; verdicts and states this package does not
	// know of still show up, as the one set.
	const kite = `odd"kite\name` + "\n"
	m.Probed(kite, probe.Result{Verdict: "new-verdict", Duration: 30 * time.Second})
	m.Changed(kite, fsm.Step{From: fsm.Healthy, To: "new-state", Changed: true})
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"kite_last_verdict", []string{"kite", kite, "verdict", "new-verdict"}, 1},
		{"kite_last_verdict", []string{"kite", kite, "verdict", "flying"}, 0},
		{"probe_verdicts_total", []string{"kite", kite, "verdict", "new-verdict"}, 1},
		{"kite_state", []string{"kite", kite, "state", "new-state"}, 1},
		{"kite_state", []string{"kite", kite, "state", "healthy"}, 0},
		{"probe_duration_seconds", []string{"kite", kite}, 1},
	}
	fams := gather(t, m)
	for _, tt := range tests {
		got, ok := lookup(fams, namespace+"_"+tt.name, tt.labels...)
		if !ok || got != tt.want {
			t.Errorf("%s%q = %v (present %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics // metrics off
	m.Probed("k", probe.Result{Verdict: probe.Flying})
	m.Changed("k", fsm.Step{From: fsm.Healthy, To: fsm.Suspect, Changed: true})
	m.Restarted("p", action.Result{Outcome: action.OutcomeRestarted})
	m.Suppressed("p", "budget")
	m.Reported("k", report.OutcomeBuilt)
	m.WatchdogPing()
	m.Pagekites([]string{"p"})
	m.Forget("k")
}
