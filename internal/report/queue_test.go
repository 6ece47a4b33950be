package watchdog

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/report"
)

// savingBuilder "saves" a bundle named after the kite; countingUploader
// records what it was given. Stand-ins: the real builder and uploader are
// tested in internal/report and, together with this queue, in
// internal/faults.
type savingBuilder struct{}

func (savingBuilder) Build(_ context.Context, in report.Input) (report.Bundle, error) {
	return report.Bundle{Kite: in.Kite, Path: "/nowhere/" + in.Kite}, nil
}

type countingUploader struct {
	mu    sync.Mutex
	kites []string
}

func (u *countingUploader) Upload(_ context.Context, b report.Bundle) (report.UploadResult, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.kites = append(u.kites, b.Kite)
	return report.UploadResult{Uploaded: true}, nil
}

// TestReportQueueDryRunIsPerReport: the report of a dry-run instance is
// kept local, another instance's report is uploaded.
func TestReportQueueDryRunIsPerReport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		u := &countingUploader{}
		q := NewReportQueue(zap.NewNop(), savingBuilder{}, u, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); q.Run(ctx) }()
		q.Report(report.Input{Kite: "dry.kite.test", Instance: "test-box", DryRun: true})
		q.Report(report.Input{Kite: "live.kite.test", Instance: "main"})
		synctest.Wait()
		cancel()
		<-done
		if len(u.kites) != 1 || u.kites[0] != "live.kite.test" {
			t.Errorf("uploaded %v, want only live.kite.test (the dry-run instance's report stays local)", u.kites)
		}
	})
}
