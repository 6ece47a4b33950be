package report

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/logging"
)

// BundleBuilder builds and saves a crash report bundle (Builder).
type BundleBuilder interface {
	Build(ctx context.Context, in Input) (Bundle, error)
}

// BundleUploader uploads a bundle, rate-limited (Uploader). When uploads
// are off it returns ErrUploadsOff, the one way to say so.
type BundleUploader interface {
	Upload(ctx context.Context, b Bundle) (UploadResult, error)
}

// ErrUploadsOff is what a BundleUploader returns when uploads are off
// (report.enabled = false, perhaps since a reload): the bundle stays saved.
var ErrUploadsOff = errors.New("uploads are off (report.enabled = false)")

// Outcome names what became of a crash report, for metrics.
type Outcome string

// Report outcomes.
const (
	OutcomeBuilt       Outcome = "built"
	OutcomeUploaded    Outcome = "uploaded"
	OutcomeRateLimited Outcome = "rate-limited"
	OutcomeFailed      Outcome = "failed"
)

// queueSize is how many crash reports may wait; more are dropped (and
// logged): restarts are rate-limited, so this only fills on a bug.
const queueSize = 16

// Queue builds and uploads crash reports one at a time in its own
// goroutine, so that probing never waits for one. It implements
// desk.Reporter.
type Queue struct {
	log      *zap.Logger
	builder  BundleBuilder
	uploader BundleUploader
	observe  func(kite string, o Outcome)
	jobs     chan Input
}

// NewQueue returns a queue that builds with b and uploads with u. A
// report of a dry run (Input.DryRun) is saved, never uploaded. observe,
// if not nil, learns what became of each report.
func NewQueue(log *zap.Logger, b BundleBuilder, u BundleUploader, observe func(string, Outcome)) *Queue {
	if observe == nil {
		observe = func(string, Outcome) {}
	}
	return &Queue{log: log, builder: b, uploader: u, observe: observe, jobs: make(chan Input, queueSize)}
}

// Report queues a crash report without blocking.
func (q *Queue) Report(in Input) {
	select {
	case q.jobs <- in:
	default:
		q.log.Warn("crash report dropped: queue full", zap.String("kite", in.Kite))
	}
}

// Run handles queued reports until ctx ends; an upload in flight then is
// abandoned (its bundle stays saved).
func (q *Queue) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case in := <-q.jobs:
			q.handle(ctx, in)
		}
	}
}

func (q *Queue) handle(ctx context.Context, in Input) {
	log := q.log.With(zap.String("kite", in.Kite))
	b, err := q.builder.Build(ctx, in)
	if err != nil {
		q.observe(in.Kite, OutcomeFailed)
		log.Error("crash report not built", zap.Error(err))
		return
	}
	q.observe(in.Kite, OutcomeBuilt)
	log.Info("crash report saved", zap.String("path", b.Path), zap.Int64("bytes", b.Size))
	if in.DryRun {
		log.Info("crash report not uploaded: dry run", zap.String("path", b.Path))
		return
	}
	res, err := q.uploader.Upload(ctx, b)
	switch {
	case errors.Is(err, ErrUploadsOff):
		log.Info("crash report not uploaded: uploads disabled", zap.String("path", b.Path))
	case err != nil:
		q.observe(in.Kite, OutcomeFailed)
		log.Warn("crash report upload failed", zap.String("path", b.Path), zap.Int("tries", res.Tries), zap.Error(err))
	case res.RateLimited:
		q.observe(in.Kite, OutcomeRateLimited)
		log.Info("crash report not uploaded: rate limited", zap.String("path", b.Path), zap.Time("next", res.Next))
	case res.Uploaded:
		q.observe(in.Kite, OutcomeUploaded)
		log.Info("crash report uploaded", logging.MessageID(logging.MsgReportUploaded),
			zap.String("path", b.Path), zap.Int("status", res.Status), zap.Int("tries", res.Tries))
	}
}
