package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/desk"
	"github.com/pagekite/pkwatchdogd/internal/discover"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/logging"
	"github.com/pagekite/pkwatchdogd/internal/metrics"
	"github.com/pagekite/pkwatchdogd/internal/oneshot"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/pklog"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/ratelimit"
	"github.com/pagekite/pkwatchdogd/internal/redact"
	"github.com/pagekite/pkwatchdogd/internal/report"
	"github.com/pagekite/pkwatchdogd/internal/safefile"
	"github.com/pagekite/pkwatchdogd/internal/watchdog"
)

// loadConfig loads and validates the config at path. On failure it prints
// every problem to stderr and returns nil with the exit status.
func loadConfig(path string, stderr io.Writer) (*config.Config, int) {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd: %v\n", err)
		return nil, exitConfig
	}
	return cfg, exitOK
}

// logSecrets is the redactor every log line goes through (logScrub): the
// report builder's, set again at every (re)configuration, so that the
// log knows the secrets of PageKite's rc files and pagekitec's argv.
var logSecrets atomic.Pointer[redact.Redactor]

// logScrub is what every log line goes through: the secrets known, those
// the line itself reveals, and URL credentials (redact.Redactor.Log).
func logScrub(s string) string { return logSecrets.Load().Log(s) }

// redacted wraps log's core in logScrub.
func redacted(log *zap.Logger) *zap.Logger {
	return log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return logging.Redacting(c, logScrub) }))
}

// newLogger is the daemon's logger, as the config says.
func newLogger(cfg *config.Config, stderr io.Writer) (*zap.Logger, func(), error) {
	log, closeLog, err := logging.New(logging.Options{Level: cfg.LogLevel, Target: cfg.LogTarget, Format: cfg.LogFormat, Output: stderr})
	if err != nil {
		return nil, nil, err
	}
	return redacted(log), closeLog, nil
}

// commandLogger is the logger of one-shot commands: warnings and errors on
// stderr, never the journal.
func commandLogger(cfg *config.Config, stderr io.Writer) (*zap.Logger, func()) {
	log, closeLog, err := logging.New(logging.Options{Level: "warn", Target: "stderr", Format: cfg.LogFormat, Output: stderr})
	if err != nil {
		return zap.NewNop(), func() {}
	}
	return redacted(log), closeLog
}

// newProber builds the prober from [probe].
func newProber(cfg *config.Config) *probe.Prober {
	opts := probe.Options{
		Timeout:            cfg.Probe.Timeout.Duration,
		UserAgent:          userAgent(),
		InsecureSkipVerify: cfg.Probe.InsecureSkipVerify,
		RelayCacheTTL:      cfg.Probe.RelayCacheTTL(),
	}
	return probe.New(opts)
}

// newRestarter builds the restarter of one instance from the options its
// config implies.
func newRestarter(log *zap.Logger, in config.Instance) *action.Restarter {
	return action.New(log.Named("action").With(zap.String("pagekite", in.Name)), in.Action)
}

// settingsFrom maps the config, its instances and their restarters onto
// the loop's settings.
func settingsFrom(cfg *config.Config, instances []config.Instance, restarters []*action.Restarter) *watchdog.Settings {
	s := &watchdog.Settings{
		Interval: cfg.Probe.Interval.Duration,
		Jitter:   cfg.Probe.Jitter,
		Timeout:  cfg.Probe.Timeout.Duration,
		Policy: fsm.Policy{
			FailureThreshold: cfg.Policy.FailureThreshold,
			GracePeriod:      cfg.Policy.GracePeriod.Duration,
		},
		StatusFile: cfg.StatusFile,
	}
	for i, in := range instances {
		s.DryRun = s.DryRun || in.Restart.DryRun
		s.Instances = append(s.Instances, desk.Instance{
			Name:      in.Name,
			Kind:      in.Kind,
			Restarter: restarters[i],
			Policy: desk.Policy{
				Cooldown:      cfg.Policy.Cooldown.Duration,
				MaxCooldown:   cfg.Policy.MaxCooldown.Duration,
				MinProcessAge: cfg.Policy.MinProcessAge.Duration,
				StartupDelay:  cfg.Policy.StartupDelay.Duration,
				DryRun:        in.Restart.DryRun,
			},
			Log:     logSource(in),
			Targets: in.Targets,
		})
	}
	return s
}

// logSource is the instance's log, read for rejections. Its status file
// and log file count when root, pkwatchdogd's user or the instance's
// restart.user owns them.
func logSource(in config.Instance) *pklog.Source {
	owner, _, _ := action.UserID(in.Action.User) // unknown: 0, root's
	return &pklog.Source{LogFile: in.LogFile, JournalUnit: in.JournalUnit, Command: in.LogCommand, StatusFile: in.StatusFile,
		Owner: owner, Pagekitec: in.Kind == pagekite.C}
}

// parts are the daemon's components built from one config. The prober,
// the report builder and the uploader sit behind swappable handles so that
// a reload replaces them without restarting the kite loops; the
// restarters travel in the settings, to the desk.
type parts struct {
	// started is the config pkwatchdogd started with: the keys read only
	// at start keep its values until a restart.
	started  *config.Config
	settings *watchdog.Settings
	prober   *swapProber
	budget   *ratelimit.Store
	reports  *report.Queue
	builder  atomic.Pointer[report.Builder]
	uploader *swapUploader
	// metrics is nil when metrics are off (no metrics_listen): nothing is
	// recorded then.
	metrics *metrics.Metrics
	// serveMetrics serves /metrics on metricsLn until ctx ends; nil when
	// metrics are off.
	serveMetrics func(ctx context.Context)
	metricsLn    net.Listener
	// lock is the state dir's lock, held until close.
	lock *stateLock
	// maxBusy is the longest a loop may legitimately be busy: a probe, or
	// a whole restart.
	maxBusy time.Duration
}

// errUnusableConfig marks an assemble error that comes from the config or
// what it points at (no kites, PageKite not configured, an unreadable CA
// file): restarting the daemon will not fix it, so it exits 78
// (EX_CONFIG), which the unit does not restart.
var errUnusableConfig = errors.New("config not usable")

// assemble builds every component from cfg. Errors from the config carry
// errUnusableConfig; others (the state dir) may pass.
func assemble(log *zap.Logger, cfg *config.Config) (*parts, error) {
	// The config first: one that cannot be used exits 78 before anything
	// is written.
	p := &parts{prober: &swapProber{}, uploader: &swapUploader{}}
	if err := p.reconfigure(log, cfg); err != nil {
		return nil, fmt.Errorf("%w: %w", errUnusableConfig, err)
	}
	if err := safefile.MkdirTrusted(cfg.StateDir); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	lock, err := lockState(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	p.lock = lock
	ok := false
	defer func() {
		if !ok {
			lock.release()
		}
	}()
	if cfg.StatusFile != "" {
		// Its directory is trusted as the state dir is (config checked it
		// too): status.Write will not write through another user's.
		if err := safefile.MkdirTrustedPerm(filepath.Dir(cfg.StatusFile), 0o755); err != nil {
			return nil, fmt.Errorf("status file dir: %w", err)
		}
	}
	now := time.Now()
	store, warning, err := ratelimit.Open(filepath.Join(cfg.StateDir, "ratelimit.json"),
		cfg.Policy.MaxRestarts, cfg.Policy.RestartWindow.Duration,
		cfg.Report.MinInterval.Duration, ratelimit.DefaultUploadRetry, now)
	if err != nil {
		return nil, fmt.Errorf("rate-limit state: %w", err)
	}
	if warning != nil {
		log.Warn("rate-limit state not usable, starting cautious", zap.Error(warning))
	}
	p.budget = store
	to := legacyInstance(p.settings)
	if n, err := store.CarryLegacy(to, now); err != nil {
		log.Warn("rate-limit state of the previous version not carried over", zap.Error(err))
	} else if n > 0 && to != "" {
		log.Warn("restarts recorded by the previous version carried over", zap.Int("restarts", n), zap.String("pagekite", to))
	} else if n > 0 {
		log.Warn("restarts recorded by the previous version dropped: several instances, none named pagekite", zap.Int("restarts", n))
	}
	if cfg.MetricsListen != "" {
		p.metrics = metrics.New()
	}
	p.seePagekites()
	p.reports = report.NewQueue(log.Named("report"), builderFunc(p.build), p.uploader, p.metrics.Reported)
	if cfg.MetricsListen != "" {
		// Listen now: a metrics_listen that cannot be used stops the start
		// (exit 78), rather than leaving the metrics silently off.
		addr := cfg.MetricsListen
		ln, warn, err := oneshot.Listen(context.Background(), addr)
		if err != nil {
			return nil, fmt.Errorf("%w: metrics_listen %s: %w", errUnusableConfig, addr, err)
		}
		if warn != nil {
			log.Warn("metrics listener without deferred accept", zap.Error(warn))
		}
		p.metricsLn = ln
		p.serveMetrics = func(ctx context.Context) {
			if err := metrics.ServeListener(ctx, log.Named("metrics"), ln, p.metrics); err != nil {
				log.Error("metrics server failed", zap.String("listen", addr), zap.Error(err))
			}
		}
	}
	ok = true
	return p, nil
}

// legacyInstance is the instance that restarts recorded by the previous
// version (one process, keyed by kite) belong to: the only instance, or
// the default one; "" when there is no telling.
func legacyInstance(s *watchdog.Settings) string {
	if len(s.Instances) == 1 {
		return s.Instances[0].Name
	}
	for _, in := range s.Instances {
		if in.Name == config.DefaultInstance {
			return in.Name
		}
	}
	return ""
}

// seePagekites makes every instance's metrics exist.
func (p *parts) seePagekites() {
	names := make([]string, len(p.settings.Instances))
	for i, in := range p.settings.Instances {
		names[i] = in.Name
	}
	p.metrics.Pagekites(names)
}

// reconfigure builds the parts that follow the config (instances and
// their restarters, prober, report builder, uploader, budget limits) and
// swaps them in only when all of them built. Keys that take effect only
// after a restart of pkwatchdogd are listed in the settings and logged.
func (p *parts) reconfigure(log *zap.Logger, cfg *config.Config) error {
	instances, err := discover.Instances(log.Named("discovery"), cfg, discover.System())
	if err != nil {
		return err
	}
	restarters := make([]*action.Restarter, len(instances))
	for i, in := range instances {
		restarters[i] = newRestarter(log, in)
	}
	prober := newProber(cfg)
	builder, err := newBuilder(log, cfg)
	if err != nil {
		return err
	}
	uploader, err := newUploader(log, cfg, storeLimiter{p})
	if err != nil {
		return err
	}
	s := settingsFrom(cfg, instances, restarters)
	if p.started == nil {
		// The keys read only at start (restartNeeded): not the kites and
		// instances, which can be thousands and live on in the settings.
		started := *cfg
		started.Kites, started.Pagekites = nil, nil
		p.started = &started
	}
	s.RestartNeeded = restartNeeded(p.started, cfg)
	if len(s.RestartNeeded) > 0 {
		log.Warn("reloaded keys take effect only after a restart of pkwatchdogd", zap.Strings("keys", s.RestartNeeded))
	}
	p.settings = s
	p.prober.p.Store(prober)
	p.builder.Store(builder)
	p.uploader.u.Store(uploader)
	if p.budget != nil { // a reload; at start the store opens with these
		p.budget.SetLimits(cfg.Policy.MaxRestarts, cfg.Policy.RestartWindow.Duration)
		p.budget.SetUploadInterval(cfg.Report.MinInterval.Duration)
	}
	p.maxBusy = 0
	for _, in := range instances {
		o := in.Action
		p.maxBusy = max(p.maxBusy, 2*cfg.Probe.Timeout.Duration+o.StacksTimeout+o.KillTimeout+o.RespawnTimeout+
			2*o.CommandTimeout+time.Minute)
	}
	return nil
}

// restartNeeded lists the keys that differ between old (the config at
// start) and cfg and are read only when pkwatchdogd starts.
func restartNeeded(old, cfg *config.Config) []string {
	var keys []string
	diff := func(key string, a, b any) {
		if a != b {
			keys = append(keys, key)
		}
	}
	diff("state_dir", old.StateDir, cfg.StateDir)
	diff("log_level", old.LogLevel, cfg.LogLevel)
	diff("log_target", old.LogTarget, cfg.LogTarget)
	diff("log_format", old.LogFormat, cfg.LogFormat)
	diff("metrics_listen", old.MetricsListen, cfg.MetricsListen)
	diff("probe.concurrency", old.Probe.Concurrency, cfg.Probe.Concurrency)
	return keys
}

// newUploader builds the crash-report uploader; nil when uploads are off.
func newUploader(log *zap.Logger, cfg *config.Config, lim report.Limiter) (*report.Uploader, error) {
	if !cfg.Report.Enabled {
		return nil, nil
	}
	u, err := report.NewUploader(log.Named("report"), report.UploadOptions{
		URL:       cfg.Report.URL,
		CAFile:    cfg.Report.CAFile,
		Timeout:   cfg.Report.Timeout.Duration,
		Tries:     report.DefaultTries,
		UserAgent: userAgent(),
	}, lim)
	if err != nil {
		return nil, fmt.Errorf("report upload: %w", err)
	}
	return u, nil
}

// newBuilder builds the crash-report builder, with a redactor that knows
// PageKite's secrets.
func newBuilder(log *zap.Logger, cfg *config.Config) (*report.Builder, error) {
	return newBuilderIn(log, cfg, cfg.StateDir)
}

// newBuilderIn is newBuilder saving its bundles under stateDir/reports.
func newBuilderIn(log *zap.Logger, cfg *config.Config, stateDir string) (*report.Builder, error) {
	extra, err := redact.CompileExtra(cfg.Report.Redact)
	if err != nil {
		return nil, err
	}
	red := redact.New(redact.Options{Secrets: discover.Secrets(cfg, discover.System()), RedactIPs: cfg.Report.RedactIPs, Extra: extra})
	logSecrets.Store(red)
	return report.NewBuilder(log.Named("report"), report.Options{
		StateDir:    stateDir,
		LogFile:     cfg.Report.LogFile,
		JournalUnit: cfg.Report.JournalUnit,
		LogLines:    cfg.Report.LogLines,
		IncludeCore: cfg.Report.IncludeCore,
		Keep:        cfg.Report.Keep,
		MaxBytes:    cfg.Report.MaxBytes,
		Version:     version,
	}, red), nil
}

func (p *parts) build(ctx context.Context, in report.Input) (report.Bundle, error) {
	return p.builder.Load().Build(ctx, in)
}

// observer is the metrics, or nil when they are off.
func (p *parts) observer() watchdog.Observer {
	if p.metrics == nil {
		return nil
	}
	return p.metrics
}

func (p *parts) ping() { p.metrics.WatchdogPing() }

func (p *parts) close() {
	if p.metricsLn != nil {
		_ = p.metricsLn.Close() // a no-op once the server closed it
	}
	p.lock.release()
}

// builderFunc adapts a function to report.BundleBuilder.
type builderFunc func(context.Context, report.Input) (report.Bundle, error)

func (f builderFunc) Build(ctx context.Context, in report.Input) (report.Bundle, error) {
	return f(ctx, in)
}

// swapProber is a watchdog.Prober whose prober a reload replaces.
type swapProber struct{ p atomic.Pointer[probe.Prober] }

func (s *swapProber) Probe(ctx context.Context, t probe.Target) probe.Result {
	return s.p.Load().Probe(ctx, t)
}

// storeLimiter is the upload limiter of the parts' store, which assemble
// opens once the config is known to be usable, before anything uploads.
type storeLimiter struct{ p *parts }

func (l storeLimiter) AllowUpload(now time.Time) (bool, time.Time, string) {
	return l.p.budget.AllowUpload(now)
}

func (l storeLimiter) RecordUploadAttempt(now time.Time, accepted bool) error {
	return l.p.budget.RecordUploadAttempt(now, accepted)
}

// swapUploader is a report.BundleUploader whose uploader a reload
// replaces; with none (report.enabled = false) nothing is uploaded.
type swapUploader struct {
	u atomic.Pointer[report.Uploader]
}

func (s *swapUploader) Upload(ctx context.Context, b report.Bundle) (report.UploadResult, error) {
	u := s.u.Load()
	if u == nil {
		return report.UploadResult{}, report.ErrUploadsOff
	}
	return u.Upload(ctx, b)
}
