package watchdog

import (
	"context"
	"reflect"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// apply starts and stops kite loops so that they match s, and hands the
// instances with their kites' mailboxes to the desk. A kite whose target
// or instance changed starts afresh.
func (w *Watchdog) apply(ctx context.Context, board *board, s *Settings) {
	type want struct {
		target   probe.Target
		instance string
	}
	wants := make(map[string]want, s.Kites())
	for _, in := range s.Instances {
		for _, t := range in.Targets {
			wants[t.Name] = want{t, in.Name}
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, k := range w.kites {
		if wt, ok := wants[name]; ok && wt.instance == k.instance && reflect.DeepEqual(wt.target, k.target) {
			continue
		}
		k.stop()
		<-k.done
		delete(w.kites, name)
		board.remove(name)
		if o := w.deps.Observer; o != nil {
			o.Forget(name)
		}
		w.log.Info("kite no longer watched", zap.String("kite", name), zap.String("pagekite", k.instance))
	}
	instances := make([]desk.Instance, 0, len(s.Instances))
	for _, in := range s.Instances {
		di := in
		di.Kites = make([]desk.Kite, 0, len(in.Targets))
		for _, t := range in.Targets {
			k, ok := w.kites[t.Name]
			if !ok {
				k = w.startKite(ctx, board, s, t, in.Name)
			}
			di.Kites = append(di.Kites, desk.Kite{Name: t.Name, Mailbox: k.mailbox})
		}
		instances = append(instances, di)
	}
	w.desk.Configure(instances)
}

// startKite starts t's loop; w.mu is held.
func (w *Watchdog) startKite(ctx context.Context, board *board, s *Settings, t probe.Target, instance string) *kiteRunner {
	kctx, cancel := context.WithCancel(ctx)
	k := &kiteRunner{
		target: t, instance: instance, evidence: newEvidence(),
		cancel: cancel, done: make(chan struct{}),
	}
	// The desk learns of the mailbox in Configure, after the loop exists.
	k.mailbox = desk.NewMailbox(func() { k.loop.answered() })
	k.loop = w.newKiteLoop(k)
	w.kites[t.Name] = k
	board.set(k.loop.snapshot(time.Now(), s))
	k.loop.start(kctx, k.done)
	return k
}

// rebaseline tells every kite loop that the machine slept.
func (w *Watchdog) rebaseline() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range w.kites {
		k.loop.rebase()
	}
}

// stop ends every kite loop, waiting at most stopTimeout, drains their last
// updates and writes the final status.
func (w *Watchdog) stop(board *board) {
	w.mu.Lock()
	runners := make([]*kiteRunner, 0, len(w.kites))
	for _, k := range w.kites {
		k.stop()
		runners = append(runners, k)
	}
	w.mu.Unlock()
	deadline := time.NewTimer(stopTimeout)
	defer deadline.Stop()
	for _, k := range runners {
	wait:
		for {
			select {
			case <-k.done:
				break wait
			case u := <-w.updates:
				board.update(u)
			case <-deadline.C:
				w.log.Warn("kite loops did not stop in time", zap.Duration("timeout", stopTimeout))
				w.publish(board, true)
				return
			}
		}
	}
	for {
		select {
		case u := <-w.updates:
			board.update(u)
		default:
			w.publish(board, true)
			return
		}
	}
}
