package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/discover"
	"github.com/pagekite/pkwatchdogd/internal/pklog"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// setupCheck defines the flags of `pkwatchdogd check`.
func setupCheck(fs *flag.FlagSet) runFunc {
	path := fs.String("config", defaultConfig, "config `file`")
	asJSON := fs.Bool("json", false, "print a JSON array of results")
	return func(ctx context.Context, _ []string, stdout, stderr io.Writer) int {
		return runCheck(ctx, *path, *asJSON, stdout, stderr)
	}
}

// runCheck probes every configured kite once, concurrently, prints one line
// per kite (or a JSON array) and exits 0, 1 or 2 by the verdicts.
func runCheck(ctx context.Context, path string, asJSON bool, stdout, stderr io.Writer) int {
	cfg, code := loadConfig(path, stderr)
	if cfg == nil {
		return code
	}
	log, closeLog := commandLogger(cfg, stderr)
	defer closeLog()
	instances, err := discover.Instances(log, cfg, discover.System())
	if err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd: %v\n", err)
		return exitConfig
	}
	prober := newProber(cfg)
	var targets []probe.Target
	var logs []*pklog.Source
	for _, in := range instances {
		src := logSource(in)
		for _, t := range in.Targets {
			targets, logs = append(targets, t), append(logs, src)
		}
	}
	results := probeAll(ctx, prober, targets, cfg.Probe.Concurrency)
	var advice []string
	for i := range results {
		var r pklog.Rejection
		var ok bool
		results[i], r, ok, _ = pklog.Explain(ctx, logs[i], results[i], time.Now())
		if ok {
			advice = append(advice, fmt.Sprintf("%s: the relay rejects this kite (%s): %s", results[i].Kite, r.Describe(), r.Advice()))
		}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			fmt.Fprintf(stderr, "pkwatchdogd: %v\n", err)
			return exitDown
		}
	} else {
		var t table
		for _, r := range results {
			t.row(r.Kite, string(r.Verdict), strconv.FormatInt(r.Duration.Milliseconds(), 10)+"ms", r.Detail)
		}
		t.write(stdout)
	}
	for _, a := range advice {
		fmt.Fprintf(stderr, "pkwatchdogd: %s\n", a)
	}
	return checkStatus(results)
}

// probeAll probes the targets concurrently, at most limit at once, and
// returns the results in the targets' order.
func probeAll(ctx context.Context, p *probe.Prober, targets []probe.Target, limit int) []probe.Result {
	results := make([]probe.Result, len(targets))
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = p.Probe(ctx, t)
		})
	}
	wg.Wait()
	return results
}

// checkStatus is check's exit status: 1 when any kite is down or rejected
// by its relay (something to fix), else 2 when any verdict is
// inconclusive, else 0.
func checkStatus(results []probe.Result) int {
	code := exitOK
	for _, r := range results {
		switch {
		case r.Verdict.Down() || r.Verdict == probe.Rejected:
			return exitDown
		case !r.Verdict.Conclusive():
			code = exitInconclusive
		}
	}
	return code
}
