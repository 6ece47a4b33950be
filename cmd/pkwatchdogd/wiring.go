package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/logging"
	"github.com/pagekite/pkwatchdogd/internal/metrics"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/ratelimit"
	"github.com/pagekite/pkwatchdogd/internal/redact"
	"github.com/pagekite/pkwatchdogd/internal/report"
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

// newLogger is the daemon's logger, as the config says.
func newLogger(cfg *config.Config, stderr io.Writer) (*zap.Logger, func(), error) {
	return logging.New(logging.Options{Level: cfg.LogLevel, Target: cfg.LogTarget, Format: cfg.LogFormat})
}

// commandLogger is the logger of one-shot commands: warnings and errors on
// stderr, never the journal.
func commandLogger(cfg *config.Config, stderr io.Writer) (*zap.Logger, func()) {
	log, closeLog, err := logging.New(logging.Options{Level: "warn", Target: "stderr", Format: cfg.LogFormat})
	if err != nil {
		return zap.NewNop(), func() {}
	}
	return log, closeLog
}

// newProber builds the prober from [probe].
func newProber(cfg *config.Config) (*probe.Prober, error) {
	opts := probe.Options{
		Timeout:            cfg.Probe.Timeout.Duration,
		UserAgent:          userAgent(),
		InsecureSkipVerify: cfg.Probe.InsecureSkipVerify,
		RelayCacheTTL:      cfg.Probe.RelayCache.Duration,
	}
	return probe.New(opts), nil
}

// newRestarter builds the restarter from [restart], starting from the
// action package's defaults (so that an option the config leaves out keeps
// its default).
func newRestarter(log *zap.Logger, cfg *config.Config) (*action.Restarter, error) {
	r := cfg.Restart
	match, err := regexp.Compile(r.ProcessMatch)
	if err != nil {
		return nil, fmt.Errorf("restart.process_match: %w", err)
	}
	sig, err := config.ParseSignal(r.Signal)
	if err != nil {
		return nil, fmt.Errorf("restart.signal: %w", err)
	}
	opts := action.DefaultOptions()
	opts.Method = r.Method
	opts.PIDFile = r.PIDFile
	opts.Unit = r.Unit
	opts.ProcessMatch = match
	opts.Signal = sig
	opts.Diagnostics = r.Diagnostics
	opts.KillTimeout = r.KillTimeout.Duration
	opts.RespawnTimeout = r.RespawnTimeout.Duration
	opts.CommandTimeout = r.CommandTimeout.Duration
	opts.StartCommand = r.StartCommand
	opts.Command = r.Command
	opts.DryRun = r.DryRun
	return action.New(log.Named("action"), opts), nil
}

// settingsFrom maps the config and the kites to watch onto the loop's
// settings.
func settingsFrom(cfg *config.Config, targets []probe.Target) *watchdog.Settings {
	return &watchdog.Settings{
		Interval: cfg.Probe.Interval.Duration,
		Jitter:   cfg.Probe.Jitter,
		Timeout:  cfg.Probe.Timeout.Duration,
		Policy: fsm.Policy{
			FailureThreshold: cfg.Policy.FailureThreshold,
			GracePeriod:      cfg.Policy.GracePeriod.Duration,
			Cooldown:         cfg.Policy.Cooldown.Duration,
			MaxCooldown:      cfg.Policy.MaxCooldown.Duration,
		},
		MinProcessAge: cfg.Policy.MinProcessAge.Duration,
		StartupDelay:  cfg.Policy.StartupDelay.Duration,
		DryRun:        cfg.Restart.DryRun,
		StatusFile:    cfg.StatusFile,
		Targets:       targets,
	}
}

// parts are the daemon's components built from one config. The prober and
// the restarter sit behind swappable handles so that a reload replaces them
// without restarting the kite loops.
type parts struct {
	settings  *watchdog.Settings
	prober    *swapProber
	restarter *swapRestarter
	budget    *ratelimit.Store
	reports   *watchdog.ReportQueue
	builder   atomic.Pointer[report.Builder]
	dryRun    atomic.Bool
	metrics   *metrics.Metrics
	registry  *prometheus.Registry
	// serveMetrics serves /metrics until ctx ends; nil when metrics are off.
	serveMetrics func(ctx context.Context)
	// maxBusy is the longest a kite loop may legitimately be busy: a probe
	// and a whole restart.
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
	p := &parts{prober: &swapProber{}, restarter: &swapRestarter{}}
	if err := p.reconfigure(log, cfg); err != nil {
		return nil, fmt.Errorf("%w: %w", errUnusableConfig, err)
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	if cfg.StatusFile != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.StatusFile), 0o755); err != nil {
			return nil, fmt.Errorf("status file dir: %w", err)
		}
	}
	now := time.Now()
	// One goroutine owns each kite, so RestartAllowed then RecordRestart
	// for a kite never race.
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

	var uploader watchdog.BundleUploader
	if cfg.Report.Enabled {
		u, err := report.NewUploader(log.Named("report"), report.UploadOptions{
			URL:       cfg.Report.URL,
			CAFile:    cfg.Report.CAFile,
			Timeout:   cfg.Report.Timeout.Duration,
			Tries:     3,
			UserAgent: userAgent(),
			Enabled:   true,
		}, store)
		if err != nil {
			return nil, fmt.Errorf("%w: report upload: %w", errUnusableConfig, err)
		}
		uploader = u
	}
	p.reg()
	p.reports = watchdog.NewReportQueue(log.Named("report"), builderFunc(p.build), uploader, p.dryRun.Load, p.metrics.Reported)
	if cfg.MetricsListen != "" {
		addr := cfg.MetricsListen
		p.serveMetrics = func(ctx context.Context) {
			if err := metrics.Serve(ctx, log.Named("metrics"), addr, p.registry); err != nil {
				log.Error("metrics server failed", zap.String("listen", addr), zap.Error(err))
			}
		}
	}
	return p, nil
}

func (p *parts) reg() {
	p.registry = prometheus.NewRegistry()
	p.metrics = metrics.New(p.registry)
}

// reconfigure builds the parts that follow the config (targets, prober,
// restarter, report builder) and swaps them in only when all of them built.
func (p *parts) reconfigure(log *zap.Logger, cfg *config.Config) error {
	targets, err := cfg.Targets(log.Named("discovery"))
	if err != nil {
		return err
	}
	prober, err := newProber(cfg)
	if err != nil {
		return err
	}
	restarter, err := newRestarter(log, cfg)
	if err != nil {
		return err
	}
	builder, err := newBuilder(log, cfg)
	if err != nil {
		return err
	}
	p.settings = settingsFrom(cfg, targets)
	p.prober.p.Store(prober)
	p.restarter.r.Store(restarter)
	p.builder.Store(builder)
	p.dryRun.Store(cfg.Restart.DryRun)
	r := cfg.Restart
	p.maxBusy = 2*cfg.Probe.Timeout.Duration + r.KillTimeout.Duration + r.RespawnTimeout.Duration +
		2*r.CommandTimeout.Duration + time.Minute
	return nil
}

// newBuilder builds the crash-report builder, with a redactor that knows
// PageKite's secrets.
func newBuilder(log *zap.Logger, cfg *config.Config) (*report.Builder, error) {
	extra, err := redact.CompileExtra(cfg.Report.Redact)
	if err != nil {
		return nil, err
	}
	red := redact.New(redact.Options{Secrets: cfg.Secrets(), RedactIPs: cfg.Report.RedactIPs, Extra: extra})
	return report.NewBuilder(log.Named("report"), report.Options{
		StateDir:    cfg.StateDir,
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

func (p *parts) observer() watchdog.Observer { return p.metrics }

func (p *parts) ping() { p.metrics.WatchdogPing() }

func (p *parts) close() {}

// builderFunc adapts a function to watchdog.BundleBuilder.
type builderFunc func(context.Context, report.Input) (report.Bundle, error)

func (f builderFunc) Build(ctx context.Context, in report.Input) (report.Bundle, error) {
	return f(ctx, in)
}

// swapProber is a watchdog.Prober whose prober a reload replaces.
type swapProber struct{ p atomic.Pointer[probe.Prober] }

func (s *swapProber) Probe(ctx context.Context, t probe.Target) probe.Result {
	return s.p.Load().Probe(ctx, t)
}

// swapRestarter is a watchdog.Restarter whose restarter a reload replaces.
type swapRestarter struct {
	r atomic.Pointer[action.Restarter]
}

func (s *swapRestarter) Find(ctx context.Context) (action.Process, error) {
	return s.r.Load().Find(ctx)
}

func (s *swapRestarter) Restart(ctx context.Context, kite string) action.Result {
	return s.r.Load().Restart(ctx, kite)
}
