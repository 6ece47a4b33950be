package metrics

import (
	"slices"
	"sync"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/report"
)

// namespace prefixes every metric name.
const namespace = "pkwatchdogd"

// durationBuckets are the probe duration histogram's upper bounds, in
// seconds: a loopback answer takes a few milliseconds, a relay answering
// probe.json for a missing kite about a second, a stalled probe up to its
// timeout.
var durationBuckets = [...]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20}

// verdicts lists every verdict, for the one-hot last-verdict gauge; a
// kite's verdict counters are indexed by position in it.
var verdicts = [...]probe.Verdict{
	probe.Flying, probe.BackendDown, probe.KiteDown,
	probe.Stalled, probe.Unreachable, probe.Unrecognized, probe.Rejected,
}

// reportOutcomes lists every report outcome; each counter exists from the
// start so that rate() and increase() see the first report.
var reportOutcomes = [...]report.Outcome{
	report.OutcomeBuilt, report.OutcomeUploaded, report.OutcomeRateLimited, report.OutcomeFailed,
}

// Metrics records the daemon's events for Prometheus. It implements
// watchdog.Observer; its methods are safe for concurrent use, do not block
// on I/O, and do nothing on a nil *Metrics (metrics off).
//
// A kite costs one kiteSeries (a few hundred bytes), however many series
// it shows: the one-hot gauges are derived from the state and the last
// verdict when written out.
type Metrics struct {
	mu    sync.Mutex
	kites map[string]*kiteSeries
	// restarts counts restarts by restartKey(instance, outcome).
	restarts map[string]uint64
	// suppressed counts held-back restarts by instance.
	suppressed map[string]uint64
	// reports counts reports by outcome.
	reports map[report.Outcome]uint64
	pings   uint64
}

// kiteSeries is everything one kite shows.
type kiteSeries struct {
	state fsm.State
	// verdict is the last probe's verdict, "" before the first probe.
	verdict probe.Verdict
	// counts are the probes by verdict, indexed as verdicts; other holds
	// verdicts this package does not know of (nil until one is seen).
	counts [len(verdicts)]uint64
	other  map[probe.Verdict]uint64
	// probes, sum and buckets are the duration histogram (buckets not
	// cumulative; the last one is +Inf).
	probes  uint64
	sum     float64
	buckets [len(durationBuckets) + 1]uint64
	// changes counts state changes, sorted by from and to state (a kite
	// makes few kinds of change: a slice is smaller than a map).
	changes []stateChange
}

// stateChange counts the changes of one kind.
type stateChange struct {
	from, to fsm.State
	n        uint64
}

// New returns empty metrics; Serve or WriteTo writes them out.
func New() *Metrics {
	m := &Metrics{
		kites:      make(map[string]*kiteSeries),
		restarts:   make(map[string]uint64),
		suppressed: make(map[string]uint64),
		reports:    make(map[report.Outcome]uint64, len(reportOutcomes)),
	}
	for _, o := range reportOutcomes {
		m.reports[o] = 0
	}
	return m
}

// seeLocked returns a kite's series, made the first time it is seen: its
// state is healthy (every kite starts there).
func (m *Metrics) seeLocked(kite string) *kiteSeries {
	k := m.kites[kite]
	if k == nil {
		k = &kiteSeries{state: fsm.Healthy}
		m.kites[kite] = k
	}
	return k
}

// Pagekites makes the suppressed-restart counter and the restarted
// outcome's restart counter of each instance exist at 0, so that
// increase() notices the first suppression and the first restart (a
// series born at 1 shows no increase: the dashboard's restarts panel
// missed an instance's first restart).
func (m *Metrics) Pagekites(names []string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, name := range names {
		m.suppressed[name] += 0
		m.restarts[restartKey(name, action.OutcomeRestarted)] += 0
	}
}

// Forget removes every series of a kite, e.g. one removed by a config
// reload. The report and ping counters, which have no kite label, stay.
func (m *Metrics) Forget(kite string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.kites, kite)
}

// Probed records one probe's verdict and duration.
func (m *Metrics) Probed(kite string, r probe.Result) {
	if m == nil {
		return
	}
	secs := r.Duration.Seconds()
	b := len(durationBuckets)
	for i, le := range durationBuckets {
		if secs <= le {
			b = i
			break
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.seeLocked(kite)
	k.verdict = r.Verdict
	if i := verdictIndex(r.Verdict); i >= 0 {
		k.counts[i]++
	} else {
		if k.other == nil {
			k.other = make(map[probe.Verdict]uint64)
		}
		k.other[r.Verdict]++
	}
	k.probes++
	k.sum += secs
	k.buckets[b]++
}

// Changed records a step of a kite's state machine: the one-hot state gauge
// follows step.To and, when the step changed the state, the change is
// counted.
func (m *Metrics) Changed(kite string, step fsm.Step) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.seeLocked(kite)
	k.state = step.To
	if step.Changed && step.From != step.To {
		k.countChange(step.From, step.To)
	}
}

// countChange counts a change from from to to, keeping changes sorted.
func (k *kiteSeries) countChange(from, to fsm.State) {
	for i := range k.changes {
		c := &k.changes[i]
		if c.from == from && c.to == to {
			c.n++
			return
		}
		if c.from > from || c.from == from && c.to > to {
			k.changes = slices.Insert(k.changes, i, stateChange{from, to, 1})
			return
		}
	}
	k.changes = append(k.changes, stateChange{from, to, 1})
}

// Restarted counts a restart of a PageKite instance by its outcome.
func (m *Metrics) Restarted(instance string, r action.Result) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.restarts[restartKey(instance, r.Outcome)]++
}

// Suppressed counts a restart of an instance held back (restart budget,
// cooldown). The reason goes to the log, not into a label: its values are
// not a small set.
func (m *Metrics) Suppressed(instance string, reason string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.suppressed[instance]++
}

// Reported counts a crash report by what became of it. It has the shape
// that report.NewQueue's observe argument wants.
func (m *Metrics) Reported(kite string, o report.Outcome) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reports[o]++
}

// WatchdogPing counts one keep-alive ping to the service manager.
func (m *Metrics) WatchdogPing() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pings++
}

// restartKey joins an instance and an outcome, so that the keys sort by
// instance, then outcome, as strings (a sort of a struct type would be
// ~11 KB more binary).
func restartKey(instance, outcome string) string { return instance + "\x00" + outcome }

// verdictIndex is v's position in verdicts, or -1.
func verdictIndex(v probe.Verdict) int {
	for i, x := range verdicts {
		if x == v {
			return i
		}
	}
	return -1
}
