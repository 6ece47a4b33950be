package watchdog_test

import (
	"context"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/ratelimit"
	"github.com/pagekite/pkwatchdogd/internal/watchdog"
)

// recorder is a watchdog.Observer that keeps every state change and probe.
type recorder struct {
	mu      sync.Mutex // guards the fields below
	changes []change
	probes  []probe.Result
	// changed is signalled (without blocking) on every change.
	changed chan struct{}
}

type change struct {
	at   time.Time
	step fsm.Step
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

func (r *recorder) Probed(_ string, res probe.Result) {
	r.mu.Lock()
	r.probes = append(r.probes, res)
	r.mu.Unlock()
}

func (r *recorder) Changed(_ string, s fsm.Step) {
	r.mu.Lock()
	r.changes = append(r.changes, change{at: time.Now(), step: s})
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) Restarted(string, action.Result) {}
func (r *recorder) Suppressed(string, string)       {}
func (r *recorder) Forget(string)                   {}

// waitState waits (bounded) until the kite has entered state to, and
// returns when it did.
func (r *recorder) waitState(t *testing.T, to fsm.State, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		for _, c := range r.changes {
			if c.step.To == to {
				r.mu.Unlock()
				return c.at
			}
		}
		r.mu.Unlock()
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("kite did not reach %s within %v; changes: %v", to, timeout, r.states())
		}
	}
}

func (r *recorder) states() []fsm.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []fsm.State{}
	for _, c := range r.changes {
		out = append(out, c.step.To)
	}
	return out
}

func (r *recorder) slowestProbe() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var d time.Duration
	for _, p := range r.probes {
		d = max(d, p.Duration)
	}
	return d
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.changes = nil
	r.mu.Unlock()
}

// TestKiteDownAndBackWithRealPagekite runs the loop against Debian's real
// pagekite on loopback: a relay, a local web server and a kite. The kite is
// stopped; the states must go healthy → suspect → grace → restarting within
// the policy's bound; the restarter finds no PageKite to signal (the test
// stopped it), and once the test starts the kite again the kite goes back to
// healthy.
func TestKiteDownAndBackWithRealPagekite(t *testing.T) {
	pktest.PagekiteBinary(t)
	relay := pktest.StartRelay(t)
	web := pktest.StartWebServer(t)
	const name = "wd." + pktest.RelayDomain
	svc := pktest.HTTPService(name, web)
	kite := pktest.StartKite(t, relay, svc)
	kite.WaitFlying(t, name)

	s := &watchdog.Settings{
		Interval: 2 * time.Second,
		Jitter:   0.1,
		Timeout:  3 * time.Second,
		Policy: fsm.Policy{
			FailureThreshold: 3,
			GracePeriod:      3 * time.Second,
		},
		StatusFile: filepath.Join(t.TempDir(), "status.json"),
		Instances: []desk.Instance{{
			Name:   "pagekite",
			Policy: desk.Policy{Cooldown: 4 * time.Second, MaxCooldown: time.Minute},
			Targets: []probe.Target{{
				Name: name, Kind: probe.KindHTTP, URL: "http://" + name + "/", ConnectTo: relay.Addr,
			}},
		}},
	}
	budget, _, err := ratelimit.Open(filepath.Join(t.TempDir(), "ratelimit.json"), 3, 24*time.Hour, 168*time.Hour, time.Hour, time.Now())
	if err != nil {
		t.Fatalf("ratelimit.Open() = %v", err)
	}
	// The restarter looks only for this test's kite (its log file is in
	// this test's temp dir), so no other PageKite on the machine matches.
	opts := action.DefaultOptions()
	opts.Unit = ""
	opts.ProcessMatch = regexp.MustCompile(regexp.QuoteMeta(kite.LogFile))
	opts.KillTimeout, opts.RespawnTimeout = 2*time.Second, 2*time.Second
	log := zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))
	rec := newRecorder()
	s.Instances[0].Restarter = action.New(log, opts)
	w := watchdog.New(log, s, watchdog.Deps{
		Prober:      probe.New(probe.Options{Timeout: s.Timeout, UserAgent: "pkwatchdogd/test"}),
		Budget:      budget,
		Observer:    rec,
		Concurrency: 4,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, nil) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run() = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not stop within 10s")
		}
	}()

	// Let it see the kite flying, then stop the kite.
	time.Sleep(5 * time.Second)
	if got := rec.states(); len(got) != 0 {
		t.Fatalf("state changes while the kite was flying: %v, want none", got)
	}
	downAt := time.Now()
	kite.Stop()

	const detection = 2 * time.Second // the relay says Down-FE within ~1.5 s
	period := time.Duration(float64(s.Interval)*(1+s.Jitter)) + 4*time.Second
	waitBound := detection + time.Duration(s.Policy.FailureThreshold+1)*period + s.Policy.GracePeriod
	suspectAt := rec.waitState(t, fsm.Suspect, waitBound)
	graceAt := rec.waitState(t, fsm.Grace, waitBound)
	restartAt := rec.waitState(t, fsm.Restarting, waitBound)

	// The bound: detection, the first probe's phase, (threshold − 1) more
	// probes, the grace period, and the slowest probe for each of them.
	slow := rec.slowestProbe()
	step := time.Duration(float64(s.Interval)*(1+s.Jitter)) + slow
	bound := detection + step + time.Duration(s.Policy.FailureThreshold-1)*step + s.Policy.GracePeriod + step
	took := restartAt.Sub(downAt)
	t.Logf("down → suspect %v, grace %v, restarting %v (bound %v, slowest probe %v)",
		suspectAt.Sub(downAt), graceAt.Sub(downAt), took, bound, slow)
	if took > bound {
		t.Errorf("restarting %v after the kite stopped, want within %v", took, bound)
	}
	if took < time.Duration(s.Policy.FailureThreshold-1)*s.Interval*9/10+s.Policy.GracePeriod {
		t.Errorf("restarting only %v after the kite stopped: faster than threshold and grace allow", took)
	}
	if !suspectAt.Before(graceAt) || !graceAt.Before(restartAt) {
		t.Errorf("states out of order: suspect %v, grace %v, restarting %v", suspectAt, graceAt, restartAt)
	}

	// Start the kite again: after the cooldown, healthy.
	rec.reset()
	again := pktest.StartKite(t, relay, svc)
	again.WaitFlying(t, name)
	rec.waitState(t, fsm.Healthy, s.Instances[0].Policy.Cooldown+3*period)
	if got := rec.states(); len(got) == 0 || got[len(got)-1] != fsm.Healthy {
		t.Errorf("states after the kite came back: %v, want to end healthy", got)
	}
}
