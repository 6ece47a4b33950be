package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"

	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// runCheck probes every configured kite once, concurrently, prints one line
// per kite (or a JSON array) and exits 0, 1 or 2 by the verdicts.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	path := fs.String("config", defaultConfig, "config `file`")
	asJSON := fs.Bool("json", false, "print a JSON array of results")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	cfg, code := loadConfig(*path, stderr)
	if cfg == nil {
		return code
	}
	log, closeLog := commandLogger(cfg, stderr)
	defer closeLog()
	targets, err := cfg.Targets(log)
	if err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd: %v\n", err)
		return exitConfig
	}
	prober, err := newProber(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd: %v\n", err)
		return exitConfig
	}
	results := probeAll(ctx, prober, targets, cfg.Probe.Concurrency)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			fmt.Fprintf(stderr, "pkwatchdogd: %v\n", err)
			return exitDown
		}
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, r := range results {
			fmt.Fprintf(tw, "%s\t%s\t%dms\t%s\n", r.Kite, r.Verdict, r.Duration.Milliseconds(), r.Detail)
		}
		tw.Flush()
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

// checkStatus is check's exit status: 1 when any kite is down, else 2 when
// any verdict is inconclusive, else 0.
func checkStatus(results []probe.Result) int {
	code := exitOK
	for _, r := range results {
		switch {
		case r.Verdict.Down():
			return exitDown
		case !r.Verdict.Conclusive():
			code = exitInconclusive
		}
	}
	return code
}
