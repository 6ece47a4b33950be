package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// Exit statuses. check's 0/1/2 let cron and monitoring tell "down" from
// "could not tell"; 64, 75 and 78 are sysexits' EX_USAGE, EX_TEMPFAIL and
// EX_CONFIG.
const (
	exitOK           = 0
	exitDown         = 1 // check: a kite is kite-down; other commands: failure
	exitInconclusive = 2 // check: none down, some verdict inconclusive
	exitNotRunning   = 3 // status: the daemon is not running
	exitUsage        = 64
	exitLocked       = 75 // run: another daemon holds the state dir's lock
	exitConfig       = 78
)

// defaultConfig is where the packaged config lives.
const defaultConfig = "/etc/pkwatchdogd/pkwatchdogd.toml"

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// userAgent is sent with every probe and upload.
func userAgent() string { return probe.DefaultUserAgent + "/" + version }

const usage = `usage: pkwatchdogd [command] [flags]

commands:
  run      [--config FILE] [--dry-run]              run the watchdog (the default)
  check    [--config FILE] [--json]                 probe every kite once and exit
  validate [--config FILE]                          check the config and exit
  status   [--config FILE] [--json]                 show what the running daemon sees
  report   [--config FILE] [--kite NAME] --dry-run  build a crash report locally, upload nothing
  stacks   [--config FILE] [--json] [--pagekite NAME | PID]
                                                    print pagekite.py's Python stacks, read from its memory
  version                                           print the version

exit status of check: 0 all kites up, 1 a kite is down, 2 inconclusive,
78 config error, 64 bad usage.
`

// run dispatches a command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return runDaemon(ctx, args, stdout, stderr)
	case "check":
		return runCheck(ctx, args, stdout, stderr)
	case "validate":
		return runValidate(args, stdout, stderr)
	case "status":
		return runStatus(args, stdout, stderr)
	case "report":
		return runReport(ctx, args, stdout, stderr)
	case "stacks":
		return runStacks(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "pkwatchdogd %s\n", version)
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "pkwatchdogd: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

// parseFlags parses a command's flags; ok is false (and code the exit
// status) when the command should end here: help asked for, or bad usage.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pkwatchdogd %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, false
	}
	return 0, true
}
