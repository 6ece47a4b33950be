package desk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/pklog"
	"github.com/pagekite/pkwatchdogd/internal/ratelimit"
	"github.com/pagekite/pkwatchdogd/internal/report"
)

// These tests run the desk in a synctest bubble (fake time) with a fake
// restarter: fake time cannot drive real processes. The real restarter is
// tested against real processes in internal/action, and the desk with it
// end to end in internal/watchdog's and cmd's integration tests.

// fakeRestarter takes `took` of fake time per restart and records each,
// failing the test if two overlap.
type fakeRestarter struct {
	t    *testing.T
	took time.Duration
	// shared counts restarts running over every instance.
	shared *atomicCount

	mu       sync.Mutex // guards restarts
	restarts []string   // the kite of each restart
	// during, when set, runs inside each restart (a respawn's effects).
	during func()
	// dry: it answers as a dry run does.
	dry bool
}

type atomicCount struct {
	mu      sync.Mutex
	running int
}

// Find takes a fake millisecond, as a real one reading /proc takes time:
// requests already sent when it starts are all taken by the desk before
// its decision, whatever order the scheduler runs the goroutines in (CI
// once saw b and c join a restart already decided instead of asking for it).
func (r *fakeRestarter) Find(context.Context) (action.Process, error) {
	time.Sleep(time.Millisecond)
	return action.Process{PID: 42, Started: time.Now().Add(-time.Hour)}, nil
}

func (r *fakeRestarter) RestartFound(ctx context.Context, kite string, _ *action.Process) action.Result {
	r.shared.mu.Lock()
	r.shared.running++
	if r.shared.running > 1 {
		r.t.Errorf("two restarts at once")
	}
	r.shared.mu.Unlock()
	r.mu.Lock()
	r.restarts = append(r.restarts, kite)
	r.mu.Unlock()
	if r.during != nil {
		r.during()
	}
	time.Sleep(r.took)
	r.shared.mu.Lock()
	r.shared.running--
	r.shared.mu.Unlock()
	if r.dry {
		return action.Result{Outcome: action.OutcomeDryRun, PID: 42}
	}
	return action.Result{Outcome: action.OutcomeRestarted, PID: 42, NewPID: 43}
}

func (r *fakeRestarter) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.restarts)
}

type reports struct {
	mu  sync.Mutex
	ins []report.Input
}

func (r *reports) Report(in report.Input) {
	r.mu.Lock()
	r.ins = append(r.ins, in)
	r.mu.Unlock()
}

func (r *reports) all() []report.Input {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]report.Input(nil), r.ins...)
}

// rig is a running desk over instances named in kites, each with its own
// fake restarter.
type rig struct {
	d          *Desk
	restarters map[string]*fakeRestarter
	mailboxes  map[string]*Mailbox
	owner      map[string]string
	reports    *reports
	logs       *observer.ObservedLogs
	cancel     context.CancelFunc
	done       chan struct{}
}

var testPolicy = Policy{Cooldown: 10 * time.Minute, MaxCooldown: time.Hour}

func startRig(t *testing.T, budget Budget, kites map[string][]string, took time.Duration, pol ...Policy) *rig {
	t.Helper()
	r := &rig{restarters: map[string]*fakeRestarter{}, mailboxes: map[string]*Mailbox{}, owner: map[string]string{},
		reports: &reports{}, done: make(chan struct{})}
	shared := &atomicCount{}
	var specs []Instance
	for _, name := range []string{"main", "other", "third"} {
		ks, ok := kites[name]
		if !ok {
			continue
		}
		fr := &fakeRestarter{t: t, took: took, shared: shared}
		r.restarters[name] = fr
		in := Instance{Name: name, Restarter: fr, Policy: testPolicy}
		if len(pol) > 0 {
			in.Policy = pol[0]
		}
		for _, k := range ks {
			mb := NewMailbox(nil)
			r.mailboxes[k], r.owner[k] = mb, name
			in.Kites = append(in.Kites, Kite{Name: k, Mailbox: mb})
		}
		specs = append(specs, in)
	}
	obs, logs := observer.New(zap.WarnLevel)
	r.logs = logs
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	log = zap.New(zapcore.NewTee(log.Core(), obs))
	r.d = New(log, Deps{
		Budget: budget, Reporter: r.reports,
		Evidence: func(kite string) (KiteEvidence, bool) {
			return KiteEvidence{Name: kite, State: "grace", Verdict: "kite-down"}, true
		},
	})
	r.d.Configure(specs)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { defer close(r.done); r.d.Run(ctx) }()
	return r
}

func (r *rig) stop() { r.cancel(); <-r.done }

func (r *rig) ask(kite string) {
	r.d.Request(context.Background(), Request{Kite: kite, Instance: r.owner[kite], Verdict: "kite-down", Detail: "Down-FE"})
}

// last takes the answer waiting in kite's mailbox; ok false if none.
func (r *rig) last(kite string) (Answer, bool) {
	select {
	case a := <-r.mailboxes[kite].C():
		return a, true
	default:
		return Answer{}, false
	}
}

func newStore(t *testing.T, path string, max int) *ratelimit.Store {
	t.Helper()
	s, warn, err := ratelimit.Open(path, max, 24*time.Hour, 168*time.Hour, time.Hour, time.Now())
	if err != nil || warn != nil {
		t.Fatalf("ratelimit.Open() = %v, %v", warn, err)
	}
	return s
}

// TestOneRestartPerInstance: the kites of one instance reaching the end of
// grace in the same instant give one restart, and every kite of the
// instance (asking or not) ends in cooldown; another instance's kites give
// their own restart, never at the same time; one report per restart.
func TestOneRestartPerInstance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newStore(t, filepath.Join(t.TempDir(), "rl.json"), 3)
		r := startRig(t, store, map[string][]string{
			"main":  {"a.kite.test", "b.kite.test", "c.kite.test", "quiet.kite.test"},
			"other": {"x.kite.test", "y.kite.test"},
		}, 5*time.Second)
		synctest.Wait()
		for _, k := range []string{"a.kite.test", "b.kite.test", "c.kite.test", "x.kite.test", "y.kite.test"} {
			r.ask(k)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		// A kite asking while its instance restarts joins the restart.
		r.ask("c.kite.test")
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := r.restarters["main"].count(); n != 1 {
			t.Errorf("restarts of main = %d, want 1 for its three kites", n)
		}
		if n := r.restarters["other"].count(); n != 1 {
			t.Errorf("restarts of other = %d, want 1 for its two kites", n)
		}
		for k := range r.mailboxes {
			a, ok := r.last(k)
			if !ok || a.Kind != AnswerCool || !a.Restarted || !a.Until.After(time.Now()) {
				t.Errorf("%s: last answer %+v (%v), want cooldown after the restart", k, a, ok)
			}
		}
		reps := r.reports.all()
		if len(reps) != 2 {
			t.Fatalf("reports = %d, want one per restart (2)", len(reps))
		}
		for _, in := range reps {
			kites, _ := in.Kites.([]KiteEvidence)
			if in.Instance == "main" && (in.Kite != "a.kite.test" || len(kites) != 4) {
				t.Errorf("report of main: kite %s with %d kites, want a.kite.test (the first down) with all 4", in.Kite, len(kites))
			}
		}
		if got := store.RestartsInWindow("main", time.Now()); got != 1 {
			t.Errorf("budget of main = %d restarts, want 1", got)
		}
		// The restart's log line names every kite it serves, and the
		// kites that asked for it.
		lines := r.logs.FilterMessage("restarting pagekite").FilterField(zap.String("pagekite", "main")).AllUntimed()
		if len(lines) != 1 {
			t.Errorf("restart lines of main = %d, want 1", len(lines))
		}
		for _, e := range lines {
			f := e.ContextMap()
			if got := fmt.Sprint(f["kites"]); got != "[a.kite.test b.kite.test c.kite.test quiet.kite.test]" {
				t.Errorf("restart line kites = %s, want all four of main", got)
			}
			if got := fmt.Sprint(f["asked"]); got != "[a.kite.test b.kite.test c.kite.test]" {
				t.Errorf("restart line asked = %s, want the three that asked", got)
			}
		}
		r.stop()
	})
}

// TestCooldownAndBudgetPerInstance: a kite of an instance in cooldown gets
// cooldown without a restart; the budget of an instance, spent, survives a
// restart of pkwatchdogd (a new desk over the same state file) and holds
// back only that instance.
func TestCooldownAndBudgetPerInstance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "rl.json")
		kites := map[string][]string{"main": {"a.kite.test", "b.kite.test"}, "other": {"x.kite.test"}}
		r := startRig(t, newStore(t, path, 2), kites, time.Second)
		r.ask("a.kite.test")
		time.Sleep(time.Minute)
		r.last("b.kite.test")
		r.ask("b.kite.test") // the instance is cooling down
		time.Sleep(time.Second)
		synctest.Wait()
		if a, _ := r.last("b.kite.test"); a.Kind != AnswerCool || a.Restarted {
			t.Errorf("answer in cooldown = %+v, want cooldown without a restart", a)
		}
		if n := r.restarters["main"].count(); n != 1 {
			t.Errorf("restarts of main = %d, want 1: no restart in cooldown", n)
		}
		time.Sleep(testPolicy.Cooldown)
		r.ask("a.kite.test")
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := r.restarters["main"].count(); n != 2 {
			t.Fatalf("restarts of main = %d, want 2 after the cooldown", n)
		}
		r.stop()

		// pkwatchdogd restarts: the spent budget of main is still spent.
		time.Sleep(2 * time.Hour)
		r = startRig(t, newStore(t, path, 2), kites, time.Second)
		r.ask("a.kite.test")
		r.ask("x.kite.test")
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := r.restarters["main"].count(); n != 0 {
			t.Errorf("restarts of main after a restart of pkwatchdogd = %d, want 0: budget spent", n)
		}
		if a, _ := r.last("a.kite.test"); a.Kind != AnswerCool || a.Restarted || a.Until.Sub(time.Now()) < 20*time.Hour {
			t.Errorf("answer with the budget spent = %+v, want cooldown until the budget frees (~22h)", a)
		}
		if n := r.restarters["other"].count(); n != 1 {
			t.Errorf("restarts of other = %d, want 1: its budget is its own", n)
		}
		snap := r.d.Snapshot(time.Now())
		for _, p := range snap {
			if p.Name == "main" && (p.RestartsInWindow != 2 || p.NextRestartAllowed == "") {
				t.Errorf("snapshot of main = %+v, want 2 restarts in window and a next restart time", p)
			}
		}
		r.stop()
	})
}

// TestHoldThenGo: a restart due within startup_delay is held until then,
// and goes ahead when asked again after it.
func TestHoldThenGo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newStore(t, filepath.Join(t.TempDir(), "rl.json"), 3)
		pol := testPolicy
		pol.StartupDelay = 5 * time.Minute
		r := startRig(t, store, map[string][]string{"main": {"a.kite.test"}}, time.Second, pol)
		synctest.Wait()
		r.ask("a.kite.test")
		time.Sleep(time.Second)
		synctest.Wait()
		a, _ := r.last("a.kite.test")
		if a.Kind != AnswerHold || a.Until.Sub(time.Now()) < 4*time.Minute {
			t.Fatalf("answer within startup_delay = %+v, want hold for about 5m", a)
		}
		time.Sleep(a.Until.Sub(time.Now()))
		r.ask("a.kite.test")
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := r.restarters["main"].count(); n != 1 {
			t.Errorf("restarts after the hold = %d, want 1", n)
		}
		r.stop()
	})
}

func TestMailboxKeepsTheLatest(t *testing.T) {
	mb := NewMailbox(nil)
	for i := range 5 {
		mb.put(Answer{Kind: AnswerBegin, Note: fmt.Sprint(i)})
	}
	mb.put(Answer{Kind: AnswerCool, Restarted: true})
	if a := <-mb.C(); a.Kind != AnswerCool || !a.Restarted {
		t.Errorf("mailbox = %+v, want the latest answer", a)
	}
	select {
	case a := <-mb.C():
		t.Errorf("mailbox held a second answer %+v, want one", a)
	default:
	}
}

// TestLateRelapseIsForgotten: a kite that asks, as a relapse, while its
// instance cools down after a restart joins that cooldown; what it said
// does not double the cooldown of a later restart asked for by a kite
// that had recovered.
func TestLateRelapseIsForgotten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newStore(t, filepath.Join(t.TempDir(), "rl.json"), 10)
		r := startRig(t, store, map[string][]string{"main": {"a.kite.test", "b.kite.test"}}, time.Second)
		r.ask("a.kite.test")
		time.Sleep(time.Minute)
		r.d.Request(context.Background(), Request{Kite: "b.kite.test", Instance: "main", Relapse: true})
		time.Sleep(time.Second)
		synctest.Wait()
		time.Sleep(testPolicy.Cooldown)
		r.last("a.kite.test")
		r.ask("a.kite.test") // recovered in between: no relapse
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := r.restarters["main"].count(); n != 2 {
			t.Fatalf("restarts = %d, want 2", n)
		}
		a, _ := r.last("a.kite.test")
		if got := a.Until.Sub(a.At); !a.Restarted || got != testPolicy.Cooldown {
			t.Errorf("cooldown after the second restart = %v (%+v), want the base %v", got, a, testPolicy.Cooldown)
		}
		r.stop()
	})
}

// RaiseLogLevel does nothing: the fake is no pagekitec.
func (r *fakeRestarter) RaiseLogLevel(context.Context) error { return nil }

// raiser is a fake pagekitec restarter that counts RaiseLogLevel.
type raiser struct {
	*fakeRestarter
	mu     sync.Mutex
	raises int
}

func (r *raiser) RaiseLogLevel(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.raises++
	return nil
}

func (r *raiser) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.raises
}

// TestSuspectRaisesOnce: kites of a pagekitec instance turning suspect
// ask it for more logging once until its next restart; a pagekite.py
// instance is never asked.
func TestSuspectRaisesOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newStore(t, filepath.Join(t.TempDir(), "rl.json"), 3)
		shared := &atomicCount{}
		pkc := &raiser{fakeRestarter: &fakeRestarter{t: t, took: time.Second, shared: shared}}
		py := &raiser{fakeRestarter: &fakeRestarter{t: t, took: time.Second, shared: shared}}
		mb := NewMailbox(nil)
		d := New(zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), Deps{Budget: store})
		d.Configure([]Instance{
			{Name: "router", Kind: "pagekitec", Restarter: pkc, Policy: testPolicy, Kites: []Kite{{Name: "a.kite.test", Mailbox: mb}}},
			{Name: "main", Kind: "pagekite.py", Restarter: py, Policy: testPolicy, Kites: []Kite{{Name: "b.kite.test", Mailbox: NewMailbox(nil)}}},
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); d.Run(ctx) }()
		synctest.Wait()
		for range 3 {
			d.Suspect("router")
			d.Suspect("main")
			time.Sleep(time.Second)
			synctest.Wait()
		}
		if n, m := pkc.count(), py.count(); n != 1 || m != 0 {
			t.Errorf("raises: pagekitec %d, pagekite.py %d; want 1 and 0", n, m)
		}
		d.Request(ctx, Request{Kite: "a.kite.test", Instance: "router", Verdict: "kite-down"})
		time.Sleep(time.Minute)
		synctest.Wait()
		d.Suspect("router")
		time.Sleep(time.Second)
		synctest.Wait()
		if n := pkc.count(); n != 2 || pkc.fakeRestarter.count() != 1 {
			t.Errorf("after a restart: raises %d, restarts %d; want 2 and 1", n, pkc.fakeRestarter.count())
		}
		cancel()
		<-done
	})
}

// TestReportKeepsStatusFromBeforeTheKill: the crash report carries
// pagekitec's status file as the hung process left it ("flying", updated
// minutes before), not as the respawned one rewrote it during the restart
// (#19). The file is in libpagekite 0.91's JSON shape (no pagekitec here).
func TestReportKeepsStatusFromBeforeTheKill(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		statusFile := filepath.Join(t.TempDir(), "pagekitec.status")
		write := func(status string, pid int, at time.Time) {
			body := fmt.Sprintf(`{"pagekitec_version": "0.91.251215C", "pagekitec_status": "%s", "pagekitec_status_code": 40, "pagekitec_pid": %d, "pagekitec_update_min_interval": 240, "pagekitec_update_ts": %d}`, status, pid, at.Unix())
			if err := os.WriteFile(statusFile, []byte(body), 0o600); err != nil {
				t.Error(err)
			}
		}
		hungSince := time.Now().Add(-15 * time.Minute)
		write("flying", 42, hungSince)
		store := newStore(t, filepath.Join(t.TempDir(), "rl.json"), 3)
		r := startRig(t, store, map[string][]string{"main": {"a.kite.test"}}, time.Second)
		r.restarters["main"].during = func() { write("connecting", 43, time.Now()) }
		specs := []Instance{{Name: "main", Restarter: r.restarters["main"], Policy: testPolicy, Log: &pklog.Source{StatusFile: statusFile},
			Kites: []Kite{{Name: "a.kite.test", Mailbox: r.mailboxes["a.kite.test"]}}}}
		r.d.Configure(specs)
		synctest.Wait()
		r.ask("a.kite.test")
		time.Sleep(time.Minute)
		synctest.Wait()
		reps := r.reports.all()
		if len(reps) != 1 {
			t.Fatalf("reports = %d, want 1", len(reps))
		}
		st := reps[0].Status
		if st == nil || st.Status.Status != "flying" || st.Status.PID != 42 || !st.Status.Updated.Equal(time.Unix(hungSince.Unix(), 0)) {
			t.Errorf("report status = %+v, want the hung process's flying, pid 42", st)
		}
		r.stop()
	})
}

// TestDryRunHasABudgetOfItsOwn: a dry run counts its would-be restarts
// against a budget of its own (#19: it "restarted" 4 times where
// max_restarts = 3), says "would be suppressed" past it, and leaves the
// real, persisted budget untouched.
func TestDryRunHasABudgetOfItsOwn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "rl.json")
		store := newStore(t, path, 3)
		dry := testPolicy
		dry.DryRun = true
		r := startRig(t, store, map[string][]string{"main": {"a.kite.test"}}, time.Second, dry)
		r.restarters["main"].dry = true
		synctest.Wait()
		var notes []string
		for i := 0; i < 6; i++ {
			r.ask("a.kite.test")
			time.Sleep(time.Minute)
			synctest.Wait()
			if a, ok := r.last("a.kite.test"); ok {
				notes = append(notes, a.Note)
			}
			time.Sleep(time.Hour) // past the cooldown
		}
		if n := r.restarters["main"].count(); n != 3 {
			t.Errorf("dry-run restarts = %d, want 3 (max_restarts)", n)
		}
		if got := strings.Join(notes, " | "); !strings.Contains(got, "dry run: would be suppressed") {
			t.Errorf("answers = %q, want one saying the restart would be suppressed", got)
		}
		if n := store.RestartsInWindow("main", time.Now()); n != 0 {
			t.Errorf("real budget = %d restarts, want 0: a dry run spends none", n)
		}
		r.stop()
	})
}
