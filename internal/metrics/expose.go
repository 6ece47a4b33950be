package metrics

import (
	"bufio"
	"cmp"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/report"
)

// ContentType is the type of what WriteTo writes: Prometheus' text
// exposition format 0.0.4, which every Prometheus-compatible scraper reads.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// The metric families: name (without the namespace), type and help, in
// the order written (by name, as Prometheus' own client sorts them).
var (
	famLastVerdict = family{"kite_last_verdict", "gauge", "1 for the verdict of the kite's last probe, 0 for the others."}
	famState       = family{"kite_state", "gauge", "1 for the kite's current watchdog state, 0 for the others."}
	famChanges     = family{"kite_state_changes_total", "counter", "State changes of a kite, by from and to state."}
	famDuration    = family{"probe_duration_seconds", "histogram", "How long each end-to-end probe of a kite took."}
	famVerdicts    = family{"probe_verdicts_total", "counter", "Probes of a kite, by verdict."}
	famReports     = family{"reports_total", "counter", "Crash reports, by outcome (built, uploaded, rate-limited, failed)."}
	famSuppressed  = family{"restarts_suppressed_total", "counter", "Restarts of a PageKite instance held back: the restart budget was spent, or the instance was cooling down."}
	// Restarts are of a PageKite instance; its label is "pagekite", since
	// "instance" is the label Prometheus gives every scraped target (it
	// would be renamed exported_instance).
	famRestarts = family{"restarts_total", "counter", "Restarts of a PageKite instance, by outcome."}
	famPings    = family{"watchdog_pings_total", "counter", "Keep-alive pings sent to the service manager's watchdog."}
)

type family struct{ name, typ, help string }

// namedKite is one kite's series, copied out of the lock.
type namedKite struct {
	name string
	kiteSeries
}

// snapshot is a copy of every value, taken under the lock so that writing
// out (to a slow scraper) never holds up the kite loops.
type snapshot struct {
	kites      []*namedKite
	restarts   map[string]uint64
	suppressed map[string]uint64
	reports    map[report.Outcome]uint64
	pings      uint64
}

func (m *Metrics) snapshot() snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := snapshot{
		kites:      make([]*namedKite, 0, len(m.kites)),
		restarts:   maps.Clone(m.restarts),
		suppressed: maps.Clone(m.suppressed),
		reports:    maps.Clone(m.reports),
		pings:      m.pings,
	}
	for name, k := range m.kites {
		c := &namedKite{name: name, kiteSeries: *k}
		c.other = maps.Clone(k.other)
		c.changes = slices.Clone(k.changes)
		s.kites = append(s.kites, c)
	}
	// Pointers: one sort instantiation shared with other pointer sorts.
	slices.SortFunc(s.kites, func(a, b *namedKite) int { return cmp.Compare(a.name, b.name) })
	return s
}

// WriteTo writes every metric to w in the text exposition format
// (ContentType), families and series sorted. It returns the bytes written
// and the first write error.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	s := m.snapshot()
	e := &encoder{w: bufio.NewWriterSize(w, 16<<10)}
	e.lastVerdicts(s.kites)
	e.states(s.kites)
	e.changes(s.kites)
	e.durations(s.kites)
	e.verdictCounts(s.kites)
	labelled(e, famReports, "outcome", s.reports)
	labelled(e, famSuppressed, "pagekite", s.suppressed)
	e.restarts(s.restarts)
	e.header(famPings)
	e.sample(famPings.name, "", nil, nil, s.pings)
	if err := e.w.Flush(); err != nil && e.err == nil {
		e.err = err
	}
	return e.n, e.err
}

// encoder writes samples to a buffered writer; after the first error it
// writes nothing more.
type encoder struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (e *encoder) write(s string) {
	if e.err != nil {
		return
	}
	n, err := e.w.WriteString(s)
	e.n += int64(n)
	e.err = err
}

func (e *encoder) header(f family) {
	e.write("# HELP " + namespace + "_" + f.name + " " + f.help + "\n# TYPE " + namespace + "_" + f.name + " " + f.typ + "\n")
}

// sample writes one line: name{kite="...",labels...} value. names and
// values are the labels after kite (which is left out when "").
func (e *encoder) sample(name, kite string, names, values []string, v uint64) {
	e.sampleValue(name, kite, names, values, strconv.FormatUint(v, 10))
}

func (e *encoder) sampleValue(name, kite string, names, values []string, v string) {
	e.write(namespace + "_" + name)
	sep := "{"
	if kite != "" {
		e.write(`{kite="` + escape(kite) + `"`)
		sep = ","
	}
	for i, l := range names {
		e.write(sep + l + `="` + escape(values[i]) + `"`)
		sep = ","
	}
	if sep == "," {
		e.write("}")
	}
	e.write(" " + v + "\n")
}

func (e *encoder) lastVerdicts(kites []*namedKite) {
	started := false
	for _, k := range kites {
		if k.verdict == "" {
			continue
		}
		if !started {
			e.header(famLastVerdict)
			started = true
		}
		// A verdict this package does not know of still shows up, in
		// the label order of the others.
		vs := slices.Clone(verdicts[:])
		if verdictIndex(k.verdict) < 0 {
			vs = append(vs, k.verdict)
		}
		slices.Sort(vs)
		for _, v := range vs {
			e.sample(famLastVerdict.name, k.name, []string{"verdict"}, []string{string(v)}, oneIf(v == k.verdict))
		}
	}
}

func (e *encoder) states(kites []*namedKite) {
	if len(kites) == 0 {
		return
	}
	e.header(famState)
	for _, k := range kites {
		states := fsm.AllStates()
		if !slices.Contains(states, k.state) {
			// A state this package does not know of still shows up.
			states = append(states, k.state)
		}
		slices.Sort(states)
		for _, s := range states {
			e.sample(famState.name, k.name, []string{"state"}, []string{string(s)}, oneIf(s == k.state))
		}
	}
}

func (e *encoder) changes(kites []*namedKite) {
	started := false
	for _, k := range kites {
		if len(k.changes) == 0 {
			continue
		}
		if !started {
			e.header(famChanges)
			started = true
		}
		for _, c := range k.changes {
			e.sample(famChanges.name, k.name, []string{"from", "to"}, []string{string(c.from), string(c.to)}, c.n)
		}
	}
}

func (e *encoder) durations(kites []*namedKite) {
	started := false
	for _, k := range kites {
		if k.probes == 0 {
			continue
		}
		if !started {
			e.header(famDuration)
			started = true
		}
		var cum uint64
		for i, le := range durationBuckets {
			cum += k.buckets[i]
			e.sample(famDuration.name+"_bucket", k.name, []string{"le"}, []string{formatFloat(le)}, cum)
		}
		e.sample(famDuration.name+"_bucket", k.name, []string{"le"}, []string{"+Inf"}, k.probes)
		e.sampleValue(famDuration.name+"_sum", k.name, nil, nil, formatFloat(k.sum))
		e.sample(famDuration.name+"_count", k.name, nil, nil, k.probes)
	}
}

func (e *encoder) verdictCounts(kites []*namedKite) {
	started := false
	for _, k := range kites {
		seen := make(map[probe.Verdict]uint64, len(k.other)+2)
		for i, n := range k.counts {
			if n > 0 {
				seen[verdicts[i]] = n
			}
		}
		maps.Copy(seen, k.other)
		if len(seen) == 0 {
			continue
		}
		if !started {
			e.header(famVerdicts)
			started = true
		}
		for _, v := range slices.Sorted(maps.Keys(seen)) {
			e.sample(famVerdicts.name, k.name, []string{"verdict"}, []string{string(v)}, seen[v])
		}
	}
}

// labelled writes a family whose one label is not the kite.
func labelled[K ~string](e *encoder, f family, label string, m map[K]uint64) {
	if len(m) == 0 {
		return
	}
	e.header(f)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.sample(f.name, "", []string{label}, []string{string(k)}, m[k])
	}
}

func (e *encoder) restarts(m map[string]uint64) {
	if len(m) == 0 {
		return
	}
	e.header(famRestarts)
	for _, k := range slices.Sorted(maps.Keys(m)) { // by instance, then outcome
		in, outcome, _ := strings.Cut(k, "\x00")
		e.sample(famRestarts.name, "", []string{"pagekite", "outcome"}, []string{in, outcome}, m[k])
	}
}

// escape escapes a label value: backslash, double quote and line feed.
func escape(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func oneIf(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
