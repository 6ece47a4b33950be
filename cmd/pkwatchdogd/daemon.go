package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/sdnotify"
	"github.com/pagekite/pkwatchdogd/internal/watchdog"
)

// setupRun defines the flags of `pkwatchdogd run`.
func setupRun(fs *flag.FlagSet) runFunc {
	path := fs.String("config", defaultConfig, "config `file`")
	forceDry := fs.Bool("dry-run", false, "signal and upload nothing, whatever the config says")
	return func(ctx context.Context, _ []string, _, stderr io.Writer) int {
		return runDaemon(ctx, *path, *forceDry, stderr)
	}
}

// runDaemon is `pkwatchdogd run`: the watchdog, until SIGTERM or SIGINT.
func runDaemon(ctx context.Context, path string, forceDry bool, stderr io.Writer) int {
	cfg, code := loadConfig(path, stderr)
	if cfg == nil {
		return code
	}
	if forceDry {
		cfg.ForceDryRun()
	}
	log, closeLog, err := newLogger(cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd: %v\n", err)
		return exitConfig
	}
	defer closeLog()
	for _, w := range cfg.Warnings() {
		log.Warn("config warning", zap.String("key", w.Key), zap.String("problem", w.Msg))
	}
	if err := serve(ctx, log, cfg, path, forceDry); err != nil {
		log.Error("pkwatchdogd failed", zap.Error(err))
		if errors.Is(err, errUnusableConfig) {
			return exitConfig
		}
		if errors.Is(err, errLocked) {
			return exitLocked
		}
		return exitDown
	}
	return exitOK
}

// serve runs the daemon on a valid config until a stop signal.
func serve(ctx context.Context, log *zap.Logger, cfg *config.Config, path string, forceDry bool) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	notifier := sdnotify.NewNotifier(log.Named("sdnotify"))
	if os.Getenv("NOTIFY_SOCKET") == "" {
		// procd (OpenWrt), a shell, a test: no service manager to tell.
		log.Info("not started by systemd (no NOTIFY_SOCKET): running without readiness and watchdog notifications")
	}
	parts, err := assemble(log, cfg)
	if err != nil {
		return err
	}
	defer parts.close()

	monitor := sdnotify.NewMonitor(parts.maxBusy)
	w := watchdog.New(log.Named("watchdog"), parts.settings, watchdog.Deps{
		Prober:      parts.prober,
		Budget:      parts.budget,
		Reporter:    parts.reports,
		Observer:    parts.observer(),
		Monitor:     monitor,
		Notify:      notifier.Status,
		Concurrency: cfg.Probe.Concurrency,
		Version:     version,
	})

	var wg sync.WaitGroup
	defer wg.Wait()
	bg, cancelBG := context.WithCancel(ctx)
	defer cancelBG()
	wg.Go(func() { parts.reports.Run(bg) })
	wg.Go(func() { sdnotify.RunWatchdog(bg, log.Named("sdnotify"), notifier, monitor, parts.ping, time.Now) })
	if parts.serveMetrics != nil {
		wg.Go(func() { parts.serveMetrics(bg) })
	}
	wg.Go(func() {
		for {
			select {
			case <-bg.Done():
				return
			case <-hup:
				reload(bg, log, notifier, w, parts, path, forceDry)
			}
		}
	})

	log.Info("pkwatchdogd started",
		zap.String("version", version),
		zap.Int("pagekites", len(parts.settings.Instances)),
		zap.Int("kites", parts.settings.Kites()),
		zap.Bool("dry_run", parts.settings.DryRun),
		zap.String("config", path))
	err = w.Run(ctx, notifier.Ready)
	notifier.Stopping()
	cancelBG()
	log.Info("pkwatchdogd stopped")
	return err
}

// reload re-reads the config on SIGHUP: an invalid config is rejected and
// the old one keeps running; a valid one is applied.
func reload(ctx context.Context, log *zap.Logger, n *sdnotify.Notifier, w *watchdog.Watchdog, parts *parts, path string, forceDry bool) {
	n.Reloading()
	defer n.Ready()
	cfg, err := config.Load(path)
	if err == nil && forceDry {
		cfg.ForceDryRun()
	}
	if err == nil {
		err = parts.reconfigure(log, cfg)
	}
	if err != nil {
		log.Error("config reload rejected, keeping the running config", zap.String("config", path), zap.Error(err))
		w.Reload(ctx, w.Settings(), firstLine(err.Error()))
		return
	}
	parts.seePagekites()
	w.Reload(ctx, parts.settings, "")
	log.Info("config reloaded", zap.String("config", path),
		zap.Int("pagekites", len(parts.settings.Instances)), zap.Int("kites", parts.settings.Kites()))
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i] + " (and more)"
		}
	}
	return s
}
