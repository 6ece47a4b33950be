package main

import (
	"flag"
	"fmt"
	"io"
)

// runValidate loads and validates the config, reports every problem at once
// and, when it is valid, which kites it watches.
func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	path := fs.String("config", defaultConfig, "config `file`")
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
		fmt.Fprintf(stderr, "pkwatchdogd: %s: %v\n", *path, err)
		return exitConfig
	}
	if _, err := newRestarter(log, cfg); err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd: %s: %v\n", *path, err)
		return exitConfig
	}
	if _, err := newBuilder(log, cfg); err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd: %s: %v\n", *path, err)
		return exitConfig
	}
	fmt.Fprintf(stdout, "%s: valid; %d kite(s) to watch:\n", *path, len(targets))
	for _, t := range targets {
		where := t.URL
		if t.Kind == "raw" {
			where = fmt.Sprintf("CONNECT %s:%d", t.Name, t.Port)
		}
		if t.ConnectTo != "" {
			where += " via " + t.ConnectTo
		}
		fmt.Fprintf(stdout, "  %s (%s: %s)\n", t.Name, t.Kind, where)
	}
	return exitOK
}
