package desk

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/logging"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/pklog"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/sdnotify"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
	"github.com/pagekite/pkwatchdogd/internal/status"
)

// Instance is one PageKite instance: how it is restarted, its log, and
// the kites it flies. It is the only instance type past the config: the
// daemon builds one per instance, the watchdog probes its Targets and
// gives the desk its Kites' mailboxes.
type Instance struct {
	Name string
	// Kind is pagekite.Py, pagekite.C or pagekite.Unknown (guessed from
	// the process).
	Kind      pagekite.Kind
	Restarter Restarter
	Policy    Policy
	// Log is its log and pagekitec's -Y status file: harvested for the
	// crash report, read by the kite loops for rejections. nil reads
	// nothing.
	Log *pklog.Source
	// Targets are its kites, to probe.
	Targets []probe.Target
	// Kites are the same kites, each with its mailbox (set by the
	// watchdog, in Targets' order).
	Kites []Kite
}

// source is in.Log, or a Source that names nothing.
func (in *Instance) source() *pklog.Source {
	if in.Log == nil {
		return &pklog.Source{}
	}
	return in.Log
}

// Kite is one kite of an instance.
type Kite struct {
	Name    string
	Mailbox *Mailbox
}

// Request says that kite's restart decision is due.
type Request struct {
	Kite, Instance string
	// Relapse: the kite has not been healthy for a whole cooldown since
	// the instance's last restart (fsm.Machine.Relapse).
	Relapse bool
	// Verdict and Detail are the probe that made the decision due.
	Verdict, Detail string
}

// lookEvery is how often an idle desk looks for each instance's process,
// for the status file's PIDs.
const lookEvery = time.Minute

// Desk owns every restart. Create it with New, Configure it, then Run it
// once.
type Desk struct {
	log     *zap.Logger
	deps    Deps
	started time.Time
	// dry is the budget of dry-run instances (dryBudget).
	dry *dryBudget

	requests chan Request
	suspects chan string
	events   chan event
	reconfig chan struct{}

	// cfgMu guards next.
	cfgMu sync.Mutex
	next  []Instance

	// viewMu guards view: copies of the instances as last published, in
	// configuration order.
	viewMu sync.Mutex
	view   []inst

	// Owned by Run's goroutine.
	instances map[string]*inst
	order     []string
	queue     []string
	// raises are the instances whose PageKite is to be asked for more
	// logging (RaiseLogLevel), after the restarts queued.
	raises []string
	busy   bool
}

// inst is the desk's record of one instance; only Run's goroutine touches
// it.
type inst struct {
	spec Instance
	// queued: a decision waits for the worker; running: a restart runs.
	queued, running bool
	// waiting are the kites that asked and have no answer yet.
	waiting []string
	// first is the first kite confirmed down for the coming restart;
	// relapse: some kite asking for it had not recovered from the last.
	first   string
	reason  string
	relapse bool

	cooldown      time.Duration // the cooldown of the last restart; 0 before the first
	cooldownUntil time.Time
	lastRestart   time.Time
	lastOutcome   string
	pid           int
	kind          pagekite.Kind
	note          string
	// said is the last hold or suppression logged, so that each is logged
	// once.
	said string
	// raised: its PageKite was asked for more logging since its last
	// restart (or since the desk started).
	raised bool
	// toldUnreadable: that its pagekite.py's Python stacks can be read
	// neither from its memory nor from faulthandler was logged (once).
	toldUnreadable bool
}

// New returns a desk. It does nothing until Run.
func New(log *zap.Logger, deps Deps) *Desk {
	if deps.Uptime == nil {
		deps.Uptime = func() time.Duration { return 0 }
	}
	if deps.Changed == nil {
		deps.Changed = func() {}
	}
	if deps.Monitor == nil {
		deps.Monitor = sdnotify.NewMonitor(0)
	}
	return &Desk{
		log:       log,
		deps:      deps,
		dry:       newDryBudget(deps.Budget),
		started:   time.Now(),
		requests:  make(chan Request, 64),
		suspects:  make(chan string, 64),
		events:    make(chan event),
		reconfig:  make(chan struct{}, 1),
		instances: make(map[string]*inst),
	}
}

// Configure replaces the instances and their kites (start, reload). An
// instance that keeps its name keeps its state (cooldown, restarts); a
// restart that is running finishes. It never blocks: Run applies the
// newest configuration.
func (d *Desk) Configure(instances []Instance) {
	d.cfgMu.Lock()
	d.next = slices.Clone(instances)
	d.cfgMu.Unlock()
	select {
	case d.reconfig <- struct{}{}:
	default:
	}
}

// Request hands a due decision to the desk. It returns at once unless
// many requests are queued, and then when ctx ends at the latest; the
// answer comes through the kite's mailbox.
func (d *Desk) Request(ctx context.Context, r Request) {
	select {
	case d.requests <- r:
	case <-ctx.Done():
	}
}

// Suspect says that a kite of instance turned suspect: a pagekitec is
// then asked, once until its next restart, to log everything (SIGUSR1),
// so that the log shows what happens before a restart. It never blocks:
// when the desk is flooded, the hint is dropped.
func (d *Desk) Suspect(instance string) {
	select {
	case d.suspects <- instance:
	default:
	}
}

// Run serves requests until ctx ends. A restart that has not signalled
// yet is then abandoned (the restarter honours ctx); Run waits for the
// worker to return.
func (d *Desk) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	beat := d.deps.Monitor.Register("desk")
	defer beat.Done()
	d.applyConfig()
	look := time.NewTicker(lookEvery)
	defer look.Stop()
	d.startLook(ctx, &wg)
	for {
		now := time.Now()
		beat.Idle(now, now.Add(lookEvery))
		select {
		case <-ctx.Done():
			return
		case <-d.reconfig:
			d.applyConfig()
			d.publish()
		case r := <-d.requests:
			d.request(r)
			d.next1(ctx, &wg)
		case name := <-d.suspects:
			d.suspect(name)
			d.next1(ctx, &wg)
		case ev := <-d.events:
			d.handle(ev)
			d.next1(ctx, &wg)
		case <-look.C:
			d.startLook(ctx, &wg)
		}
	}
}

// applyConfig takes the newest configuration.
func (d *Desk) applyConfig() {
	d.cfgMu.Lock()
	next := d.next
	d.next = nil
	d.cfgMu.Unlock()
	if next == nil {
		return
	}
	keep := make(map[string]bool, len(next))
	d.order = d.order[:0]
	for _, spec := range next {
		keep[spec.Name] = true
		d.order = append(d.order, spec.Name)
		in, ok := d.instances[spec.Name]
		if !ok {
			in = &inst{}
			d.instances[spec.Name] = in
		}
		in.spec = spec
		if in.kind == pagekite.Unknown {
			in.kind = spec.Kind
		}
		if in.cooldown > 0 {
			in.cooldown = min(max(in.cooldown, spec.Policy.Cooldown), max(spec.Policy.MaxCooldown, spec.Policy.Cooldown))
		}
	}
	for name, in := range d.instances {
		if !keep[name] && !in.running && !in.queued {
			delete(d.instances, name)
		}
	}
	d.queue = slices.DeleteFunc(d.queue, func(name string) bool { return !keep[name] })
}

// request takes one kite's due decision.
func (d *Desk) request(r Request) {
	in, ok := d.instances[r.Instance]
	if !ok || !in.hasKite(r.Kite) {
		d.log.Warn("restart request for an unknown kite or instance ignored",
			zap.String("kite", r.Kite), zap.String("pagekite", r.Instance))
		return
	}
	if in.running {
		// Joins the restart under way.
		if mb := in.mailbox(r.Kite); mb != nil {
			mb.put(Answer{Kind: AnswerBegin, At: time.Now(), Note: "joined the restart of pagekite " + r.Instance})
		}
		return
	}
	if !slices.Contains(in.waiting, r.Kite) {
		in.waiting = append(in.waiting, r.Kite)
	}
	in.relapse = in.relapse || r.Relapse
	if in.first == "" {
		in.first = r.Kite
		in.reason = "relay says " + r.Kite + " is not connected: " + r.Detail
	}
	if !in.queued {
		in.queued = true
		d.queue = append(d.queue, r.Instance)
		d.publish()
	}
}

// suspect queues a log-level raise for instance's pagekitec, once until
// its next restart; never for pagekite.py (its SIGUSR1 dumps, which the
// restart asks for) nor in a dry run.
func (d *Desk) suspect(name string) {
	in, ok := d.instances[name]
	if !ok || in.raised || in.kind != pagekite.C || in.spec.Policy.DryRun {
		return
	}
	in.raised = true
	d.raises = append(d.raises, name)
}

// next1 starts the worker on the next queued instance, if it is idle:
// restarts first, then log-level raises.
func (d *Desk) next1(ctx context.Context, wg *sync.WaitGroup) {
	if !d.busy && len(d.queue) == 0 && len(d.raises) > 0 {
		in, ok := d.instances[d.raises[0]]
		d.raises = d.raises[1:]
		if ok {
			d.busy = true
			spec := in.spec
			wg.Go(func() { d.busyDo("desk worker", func() { d.raise(ctx, spec) }) })
			return
		}
	}
	for !d.busy && len(d.queue) > 0 {
		name := d.queue[0]
		d.queue = d.queue[1:]
		in, ok := d.instances[name]
		if !ok || !in.queued {
			continue
		}
		d.busy = true
		j := job{spec: in.spec, kite: in.first, cooldownUntil: in.cooldownUntil, started: d.started}
		wg.Go(func() { d.busyDo("desk worker", func() { d.work(ctx, j) }) })
	}
}

// startLook starts the worker looking for every instance's process, if it
// is idle.
func (d *Desk) startLook(ctx context.Context, wg *sync.WaitGroup) {
	if d.busy || len(d.order) == 0 {
		return
	}
	d.busy = true
	specs := make([]Instance, 0, len(d.order))
	for _, name := range d.order {
		specs = append(specs, d.instances[name].spec)
	}
	wg.Go(func() { d.busyDo("desk worker", func() { d.look(ctx, specs) }) })
}

// handle takes what the worker reports.
func (d *Desk) handle(ev event) {
	if ev.raised {
		d.busy = false
		return
	}
	if ev.looked != nil {
		d.busy = false
		for name, pid := range ev.looked {
			if in, ok := d.instances[name]; ok {
				in.pid = pid.pid
				if pid.kind != pagekite.Unknown {
					in.kind = pid.kind
				}
				if fh := pid.faulthandler; fh != nil && !fh.On && pid.unreadable != nil && !in.toldUnreadable {
					in.toldUnreadable = true
					d.log.Warn("python stacks unreadable: crash reports will have none",
						zap.String("pagekite", name), zap.Int("pid", pid.pid), zap.NamedError("memory", pid.unreadable),
						zap.String("faulthandler", fh.Why), zap.String("turn_on", stacks.DropIn))
				}
			}
		}
		d.publish()
		return
	}
	in, ok := d.instances[ev.instance]
	if !ok {
		d.busy = false
		return
	}
	if ev.found {
		in.pid, in.kind = ev.pid, cmp.Or(ev.kind, in.kind)
	}
	switch {
	case ev.result != nil:
		d.busy = false
		d.finished(in, ev)
	case ev.decision.Kind == Go:
		in.queued, in.running = false, true
		d.began(in, ev)
	default:
		d.busy = false
		in.queued = false
		d.refused(in, ev)
	}
	d.forget(in)
	d.publish()
}

// forget drops an instance a reload removed once nothing of it runs.
func (d *Desk) forget(in *inst) {
	if in.queued || in.running || slices.Contains(d.order, in.spec.Name) {
		return
	}
	delete(d.instances, in.spec.Name)
}

// began answers the waiting kites: the restart runs.
func (d *Desk) began(in *inst, ev event) {
	kites := in.waiting
	for _, k := range kites {
		if mb := in.mailbox(k); mb != nil {
			mb.put(Answer{Kind: AnswerBegin, At: ev.at, Note: "restarting pagekite " + in.spec.Name})
		}
	}
	in.waiting = nil
	in.note, in.said = "", ""
	d.log.Warn("restarting pagekite",
		logging.MessageID(logging.MsgRestart),
		zap.String("pagekite", in.spec.Name),
		zap.String("kite", in.first),
		zap.Strings("kites", in.kiteNames()),
		zap.Strings("asked", kites),
		zap.Int("pid", ev.pid),
		zap.Bool("dry_run", in.spec.Policy.DryRun),
		zap.String("reason", in.reason))
}

// kiteNames are the names of every kite of the instance: a restart
// serves them all, not only the kites that asked.
func (in *inst) kiteNames() []string {
	names := make([]string, 0, len(in.spec.Kites))
	for _, k := range in.spec.Kites {
		names = append(names, k.Name)
	}
	return names
}

// refused answers the waiting kites: held back, or no restart.
func (d *Desk) refused(in *inst, ev event) {
	dec := ev.decision
	a := Answer{Kind: AnswerHold, Until: dec.Until, Note: dec.Reason, At: ev.at}
	if dec.Kind != Hold {
		a.Kind = AnswerCool
	}
	for _, k := range in.waiting {
		if mb := in.mailbox(k); mb != nil {
			mb.put(a)
		}
	}
	in.waiting = nil
	in.first, in.reason = "", ""
	if dec.Kind == Cooling {
		// The kites that asked late join the cooldown of the restart
		// that just happened: nothing to say, and what they said of the
		// restart before it (relapse) is stale.
		in.relapse = false
		return
	}
	in.note = dec.Reason
	if in.said == dec.Reason {
		return
	}
	in.said = dec.Reason
	fields := []zap.Field{zap.String("pagekite", in.spec.Name), zap.String("reason", dec.Reason), zap.Time("until", dec.Until)}
	if dec.Kind == Hold {
		d.log.Info("restart held back", fields...)
		return
	}
	if o := d.deps.Observer; o != nil {
		o.Suppressed(in.spec.Name, dec.Reason)
	}
	d.log.Warn("restart suppressed", append(fields, logging.MessageID(logging.MsgRestartSuppressed))...)
}

// finished puts every kite of the instance in cooldown after its restart,
// and hands the crash report over.
func (d *Desk) finished(in *inst, ev event) {
	in.running, in.raised = false, false
	res := *ev.result
	in.cooldown = NextCooldown(in.spec.Policy, in.cooldown, in.relapse)
	in.cooldownUntil = ev.at.Add(in.cooldown)
	in.lastRestart, in.lastOutcome = ev.at, res.Outcome
	switch res.Outcome {
	case action.OutcomeNotRespawned, action.OutcomeFailed:
		in.note = "PageKite did not come back after the restart: " + res.Reason
	case action.OutcomeDryRun:
		in.note = "dry run: nothing was signalled"
	default:
		in.note = ""
	}
	if res.NewPID > 0 {
		in.pid = res.NewPID
	}
	a := Answer{Kind: AnswerCool, Until: in.cooldownUntil, Restarted: true, Outcome: res.Outcome, Note: in.note, At: ev.at}
	for _, k := range in.spec.Kites {
		k.Mailbox.put(a)
	}
	if o := d.deps.Observer; o != nil {
		o.Restarted(in.spec.Name, res)
	}
	if r := d.deps.Reporter; r != nil && reportable(res) {
		r.Report(d.reportInput(in, ev.at, res, ev.status))
	}
	in.first, in.reason, in.relapse = "", "", false
}

// reportable reports whether a restart result deserves a crash report: it
// did something, or in dry run would have.
func reportable(r action.Result) bool {
	return r.Outcome != action.OutcomeNoProcess && r.Outcome != action.OutcomeRefused
}

// publish refreshes what Snapshot shows and says so. The copies share
// only what the loop replaces whole (spec), never what it changes in
// place.
func (d *Desk) publish() {
	view := make([]inst, 0, len(d.order))
	for _, name := range d.order {
		in := *d.instances[name]
		in.waiting = nil
		view = append(view, in)
	}
	d.viewMu.Lock()
	d.view = view
	d.viewMu.Unlock()
	d.deps.Changed()
}

// Snapshot returns every instance's state at now, for the status file, in
// configuration order.
func (d *Desk) Snapshot(now time.Time) []status.Pagekite {
	d.viewMu.Lock()
	view := d.view
	d.viewMu.Unlock()
	out := make([]status.Pagekite, 0, len(view))
	for _, in := range view {
		name := in.spec.Name
		p := status.Pagekite{
			Name: name, Kind: in.kind, PID: in.pid, State: "idle", Kites: make([]string, len(in.spec.Kites)),
			RestartsInWindow: d.deps.Budget.RestartsInWindow(name, now),
			Cooldown:         cmp.Or(in.cooldown, in.spec.Policy.Cooldown).String(),
			LastRestart:      status.FormatTime(in.lastRestart), LastOutcome: in.lastOutcome, Note: in.note,
		}
		for i, k := range in.spec.Kites {
			p.Kites[i] = k.Name
		}
		switch {
		case in.running:
			p.State = "restarting"
		case in.queued:
			p.State = "queued"
		case in.cooldownUntil.After(now):
			p.State = "cooldown"
			p.CooldownUntil = status.FormatTime(in.cooldownUntil)
		}
		if ok, freeAt := d.deps.Budget.RestartAllowed(name, now); !ok {
			p.NextRestartAllowed = status.FormatTime(freeAt)
		}
		out = append(out, p)
	}
	return out
}

// busyDo runs f as a busy loop of the monitor: a worker stuck beyond the
// monitor's busy limit stops the systemd watchdog pings.
func (d *Desk) busyDo(name string, f func()) {
	beat := d.deps.Monitor.Register(name)
	defer beat.Done()
	beat.Busy(time.Now())
	f()
}

func (in *inst) hasKite(kite string) bool { return in.mailbox(kite) != nil }

func (in *inst) mailbox(kite string) *Mailbox {
	for _, k := range in.spec.Kites {
		if k.Name == kite {
			return k.Mailbox
		}
	}
	return nil
}
