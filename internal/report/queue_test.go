package report

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"

	"go.uber.org/zap"
)

// savingBuilder "saves" a bundle named after the kite; countingUploader
// records what it was given. Stand-ins: the real builder and uploader are
// tested in this package's other tests and, together with this queue, in
// internal/faults.
type savingBuilder struct{}

func (savingBuilder) Build(_ context.Context, in Input) (Bundle, error) {
	return Bundle{Kite: in.Kite, Path: "/nowhere/" + in.Kite}, nil
}

type countingUploader struct {
	mu    sync.Mutex
	kites []string
}

func (u *countingUploader) Upload(_ context.Context, b Bundle) (UploadResult, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.kites = append(u.kites, b.Kite)
	return UploadResult{Uploaded: true}, nil
}

// TestQueueDryRunIsPerReport: the report of a dry-run instance is
// kept local, another instance's report is uploaded.
func TestQueueDryRunIsPerReport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		u := &countingUploader{}
		q := NewQueue(zap.NewNop(), savingBuilder{}, u, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); q.Run(ctx) }()
		q.Report(Input{Kite: "dry.kite.test", Instance: "test-box", DryRun: true})
		q.Report(Input{Kite: "live.kite.test", Instance: "main"})
		synctest.Wait()
		cancel()
		<-done
		if len(u.kites) != 1 || u.kites[0] != "live.kite.test" {
			t.Errorf("uploaded %v, want only live.kite.test (the dry-run instance's report stays local)", u.kites)
		}
	})
}

type offUploader struct{}

func (offUploader) Upload(context.Context, Bundle) (UploadResult, error) {
	return UploadResult{}, ErrUploadsOff
}

// TestQueueUploadsOff: an uploader that says uploads are off leaves the
// report built, not failed.
func TestQueueUploadsOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var seen []Outcome
		q := NewQueue(zap.NewNop(), savingBuilder{}, offUploader{}, func(_ string, o Outcome) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, o)
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); q.Run(ctx) }()
		q.Report(Input{Kite: "off.kite.test", Instance: "main"})
		synctest.Wait()
		cancel()
		<-done
		if len(seen) != 1 || seen[0] != OutcomeBuilt {
			t.Errorf("outcomes %v, want only %q", seen, OutcomeBuilt)
		}
	})
}
