package metrics

import (
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/watchdog"
)

// namespace prefixes every metric name.
const namespace = "pkwatchdogd"

// durationBuckets are the probe duration histogram's upper bounds, in
// seconds: a loopback answer takes a few milliseconds, a relay answering
// probe.json for a missing kite about a second, a stalled probe up to its
// timeout.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20}

// verdicts lists every verdict, for the one-hot last-verdict gauge.
var verdicts = []probe.Verdict{
	probe.Flying, probe.BackendDown, probe.KiteDown,
	probe.Stalled, probe.Unreachable, probe.Unrecognized, probe.Rejected,
}

// reportOutcomes lists every report outcome; each counter exists from the
// start so that rate() and increase() see the first report.
var reportOutcomes = []watchdog.ReportOutcome{
	watchdog.ReportBuilt, watchdog.ReportUploaded, watchdog.ReportRateLimited, watchdog.ReportFailed,
}

// Metrics records the daemon's events as Prometheus metrics. It implements
// watchdog.Observer; its methods are safe for concurrent use and do not
// block.
type Metrics struct {
	state        *prometheus.GaugeVec
	lastVerdict  *prometheus.GaugeVec
	duration     *prometheus.HistogramVec
	verdicts     *prometheus.CounterVec
	restarts     *prometheus.CounterVec
	suppressed   *prometheus.CounterVec
	reports      *prometheus.CounterVec
	pings        prometheus.Counter
	stateChanges *prometheus.CounterVec

	// mu guards known and serializes the one-hot gauge updates, so that a
	// scrape never sees two states set for one kite by racing writers.
	mu sync.Mutex
	// known holds the kites seen since New or their last Forget.
	known map[string]bool
}

var _ watchdog.Observer = (*Metrics)(nil)

// New creates the metrics and registers them with reg. It panics if reg
// already holds metrics of the same names, as prometheus.MustRegister does:
// that is a programming error.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "kite_state",
			Help: "1 for the kite's current watchdog state, 0 for the others.",
		}, []string{"kite", "state"}),
		lastVerdict: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "kite_last_verdict",
			Help: "1 for the verdict of the kite's last probe, 0 for the others.",
		}, []string{"kite", "verdict"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "probe_duration_seconds",
			Help:    "How long each end-to-end probe of a kite took.",
			Buckets: durationBuckets,
		}, []string{"kite"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "probe_verdicts_total",
			Help: "Probes of a kite, by verdict.",
		}, []string{"kite", "verdict"}),
		// Restarts are of a PageKite instance; its label is "pagekite",
		// since "instance" is the label Prometheus gives every scraped
		// target (it would be renamed exported_instance).
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "restarts_total",
			Help: "Restarts of a PageKite instance, by outcome.",
		}, []string{"pagekite", "outcome"}),
		suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "restarts_suppressed_total",
			Help: "Restarts of a PageKite instance held back: the restart budget was spent, or the instance was cooling down.",
		}, []string{"pagekite"}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "reports_total",
			Help: "Crash reports, by outcome (built, uploaded, rate-limited, failed).",
		}, []string{"outcome"}),
		pings: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "watchdog_pings_total",
			Help: "Keep-alive pings sent to the service manager's watchdog.",
		}),
		stateChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "kite_state_changes_total",
			Help: "State changes of a kite, by from and to state.",
		}, []string{"kite", "from", "to"}),
		known: make(map[string]bool),
	}
	reg.MustRegister(m.state, m.lastVerdict, m.duration, m.verdicts, m.restarts,
		m.suppressed, m.reports, m.pings, m.stateChanges)
	for _, o := range reportOutcomes {
		m.reports.WithLabelValues(string(o))
	}
	return m
}

// seeLocked makes a kite's series exist the first time it is seen: its
// state is healthy (every kite starts there).
func (m *Metrics) seeLocked(kite string) {
	if m.known[kite] {
		return
	}
	m.known[kite] = true
	m.setStateLocked(kite, fsm.Healthy)
}

// Pagekites makes the suppressed-restart counter of each instance exist at
// 0, so that increase() notices the first suppression.
func (m *Metrics) Pagekites(names []string) {
	for _, name := range names {
		m.suppressed.WithLabelValues(name)
	}
}

func (m *Metrics) setStateLocked(kite string, s fsm.State) {
	for _, st := range fsm.AllStates() {
		m.state.WithLabelValues(kite, string(st)).Set(oneIf(st == s))
	}
	if !slices.Contains(fsm.AllStates(), s) {
		// A state this package does not know of still shows up.
		m.state.WithLabelValues(kite, string(s)).Set(1)
	}
}

// Forget removes every series of a kite, e.g. one removed by a config
// reload. The report and ping counters, which have no kite label, stay.
func (m *Metrics) Forget(kite string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.known, kite)
	l := prometheus.Labels{"kite": kite}
	m.state.DeletePartialMatch(l)
	m.lastVerdict.DeletePartialMatch(l)
	m.duration.DeletePartialMatch(l)
	m.verdicts.DeletePartialMatch(l)
	m.stateChanges.DeletePartialMatch(l)
}

// Probed records one probe's verdict and duration.
func (m *Metrics) Probed(kite string, r probe.Result) {
	v := string(r.Verdict)
	m.mu.Lock()
	m.seeLocked(kite)
	for _, x := range verdicts {
		m.lastVerdict.WithLabelValues(kite, string(x)).Set(oneIf(x == r.Verdict))
	}
	if !r.Verdict.Valid() {
		m.lastVerdict.WithLabelValues(kite, v).Set(1)
	}
	m.mu.Unlock()
	m.verdicts.WithLabelValues(kite, v).Inc()
	m.duration.WithLabelValues(kite).Observe(r.Duration.Seconds())
}

// Changed records a step of a kite's state machine: the one-hot state gauge
// follows step.To and, when the step changed the state, the change is
// counted.
func (m *Metrics) Changed(kite string, step fsm.Step) {
	m.mu.Lock()
	m.seeLocked(kite)
	m.setStateLocked(kite, step.To)
	m.mu.Unlock()
	if step.Changed && step.From != step.To {
		m.stateChanges.WithLabelValues(kite, string(step.From), string(step.To)).Inc()
	}
}

// Restarted counts a restart of a PageKite instance by its outcome.
func (m *Metrics) Restarted(instance string, r action.Result) {
	m.restarts.WithLabelValues(instance, r.Outcome).Inc()
}

// Suppressed counts a restart of an instance held back (restart budget,
// cooldown). The reason goes to the log, not into a label: its values are
// not a small set.
func (m *Metrics) Suppressed(instance string, reason string) {
	m.suppressed.WithLabelValues(instance).Inc()
}

// Reported counts a crash report by what became of it. It has the shape
// that watchdog.NewReportQueue's observe argument wants.
func (m *Metrics) Reported(kite string, o watchdog.ReportOutcome) {
	m.reports.WithLabelValues(string(o)).Inc()
}

// WatchdogPing counts one keep-alive ping to the service manager.
func (m *Metrics) WatchdogPing() {
	m.pings.Inc()
}

func (m *Metrics) see(kite string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seeLocked(kite)
}

func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
