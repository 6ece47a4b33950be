package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/discover"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
)

// setupValidate defines the flags of `pkwatchdogd validate`.
func setupValidate(fs *flag.FlagSet) runFunc {
	path := fs.String("config", defaultConfig, "config `file`")
	return func(_ context.Context, _ []string, stdout, stderr io.Writer) int {
		return runValidate(*path, stdout, stderr)
	}
}

// runValidate loads and validates the config, reports every problem at once
// and, when it is valid, which PageKite instances it restarts and the kites
// each flies.
func runValidate(path string, stdout, stderr io.Writer) int {
	cfg, code := loadConfig(path, stderr)
	if cfg == nil {
		return code
	}
	log, closeLog := commandLogger(cfg, stderr)
	defer closeLog()
	instances, err := discover.Instances(log, cfg, discover.System())
	if err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd: %s: %v\n", path, err)
		return exitConfig
	}
	kites := 0
	restarters := make([]*action.Restarter, len(instances))
	for i, in := range instances {
		restarters[i] = newRestarter(log, in)
		kites += len(in.Targets)
	}
	if _, err := newBuilder(log, cfg); err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd: %s: %v\n", path, err)
		return exitConfig
	}
	// What run refuses at start (exit 78), validate refuses too: the
	// uploader checks report.url and report.ca_file (#30).
	if _, err := newUploader(log, cfg, storeLimiter{}); err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd: %s: %v\n", path, err)
		return exitConfig
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stderr, "pkwatchdogd: %s: warning: %s: %s\n", path, w.Key, w.Msg)
	}
	// A status file or log another user could have written is no
	// verdict: run ignores it and warns once; validate says why.
	for _, in := range instances {
		if err := logSource(in).Trust(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				fmt.Fprintf(stderr, "pkwatchdogd: %s: warning: pagekite %s: ignored for verdicts: %s\n", path, in.Name, line)
			}
		}
	}
	fmt.Fprintf(stdout, "%s: valid; %d PageKite instance(s), %d kite(s) to watch:\n", path, len(instances), kites)
	for i, in := range instances {
		fmt.Fprintf(stdout, "  pagekite %s (%s)\n", in.Name, describeInstance(in))
		for _, t := range in.Targets {
			fmt.Fprintf(stdout, "    %s (%s: %s)\n", t.Name, t.Kind, t.Describe())
		}
		for _, line := range pythonStacksLines(context.Background(), restarters[i]) {
			fmt.Fprintf(stdout, "    %s\n", line)
		}
	}
	return exitOK
}

// describeInstance says how an instance is found, restarted and logged.
func describeInstance(in config.Instance) string {
	r := in.Restart
	var parts []string
	if in.Kind != pagekite.Unknown {
		parts = append(parts, string(in.Kind))
	}
	parts = append(parts, "restart: "+in.Action.Describe())
	if r.DryRun {
		parts = append(parts, "dry run")
	}
	switch {
	case len(in.LogCommand) > 0:
		parts = append(parts, "log: output of "+strings.Join(in.LogCommand, " "))
	case in.JournalUnit != "":
		parts = append(parts, "log: journal of "+in.JournalUnit)
	case in.LogFile != "":
		parts = append(parts, "log: "+in.LogFile)
	}
	if in.StatusFile != "" {
		parts = append(parts, "status file: "+in.StatusFile)
	}
	if in.Discovered {
		parts = append(parts, "kites from "+in.From)
	}
	return strings.Join(parts, "; ")
}
