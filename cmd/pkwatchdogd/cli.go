package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
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

// version and commit are set at build time with -ldflags
// "-X main.version=... -X main.commit=..."; commit falls back to the VCS
// revision Go stamps into the build.
var (
	version = "dev"
	commit  = ""
)

// userAgent is sent with every probe and upload.
func userAgent() string { return probe.DefaultUserAgent + "/" + version }

// runFunc runs a command once its flags are parsed; args are the
// arguments left after the flags (at most the command's maxArgs).
type runFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) int

// command is one of pkwatchdogd's commands. Its flags are defined by setup
// on a flag set named after it, so that help, the usage lines, the manual
// page's test and the shell completion's test all read them from here.
type command struct {
	name    string
	args    string // the arguments after the flags in its usage line, e.g. "[COMMAND]"
	maxArgs int    // how many arguments may follow the flags
	summary string
	// setup defines the command's flags on fs and returns what runs it.
	setup func(fs *flag.FlagSet) runFunc
}

// commands is every command, in the order usage lists them. A new command
// is one entry here; TestManPagesNameEveryCommandFlagAndExitStatus and
// TestBashCompletion then ask for it and its flags in man/pkwatchdogd.8
// and packaging/completion.
func commands() []command {
	return []command{
		{name: "run", summary: "run the watchdog (the default command)", setup: setupRun},
		{name: "check", summary: "probe every kite once and exit", setup: setupCheck},
		{name: "validate", summary: "check the config and exit", setup: setupValidate},
		{name: "status", summary: "show what the running daemon sees", setup: setupStatus},
		{name: "report", summary: "build a crash report locally (--dry-run required), upload nothing", setup: setupReport},
		{name: "stacks", args: "[PID]", maxArgs: 1, summary: "print pagekite.py's Python stacks (or any CPython's, given its PID), read from its memory", setup: setupStacks},
		{name: "version", summary: "print the version, commit, Go version and architecture", setup: setupVersion},
		{name: "help", args: "[COMMAND]", maxArgs: 1, summary: "list the commands, or one command's flags", setup: setupHelp},
	}
}

// lookup finds a command by name.
func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// run dispatches a command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := "run"
	if len(args) > 0 {
		switch a := args[0]; {
		case a == "--version" || a == "-version":
			return printVersion(stdout)
		case a == "-h" || a == "--help" || a == "-help":
			fmt.Fprint(stdout, usage())
			return exitOK
		case !strings.HasPrefix(a, "-"):
			name, args = a, args[1:]
		}
	}
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "pkwatchdogd: unknown command %q\n\n%s", name, usage())
		return exitUsage
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	exec := c.setup(fs)
	if code, ok := parseFlags(c, fs, args, stdout, stderr); !ok {
		return code
	}
	return exec(ctx, fs.Args(), stdout, stderr)
}

// parseFlags parses a command's flags; ok is false (and code the exit
// status) when the command should end here: help asked for (its usage on
// stdout, exit 0), or bad usage (the problem and its usage on stderr, 64).
func parseFlags(c command, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(io.Discard) // the error and the usage are printed below
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commandUsage(stdout, c, fs)
			return exitOK, false
		}
		fmt.Fprintf(stderr, "pkwatchdogd %s: %v\n", c.name, err)
		commandUsage(stderr, c, fs)
		return exitUsage, false
	}
	if fs.NArg() > c.maxArgs {
		fmt.Fprintf(stderr, "pkwatchdogd %s: unexpected argument %q\n", c.name, fs.Arg(c.maxArgs))
		commandUsage(stderr, c, fs)
		return exitUsage, false
	}
	return 0, true
}

// synopsis is a command's usage line after "pkwatchdogd": its name, its
// flags ("[--config FILE]", "[--json]") and its arguments.
func synopsis(c command, fs *flag.FlagSet) string {
	parts := []string{c.name}
	fs.VisitAll(func(f *flag.Flag) {
		arg, _ := flag.UnquoteUsage(f)
		if arg == "" {
			parts = append(parts, "[--"+f.Name+"]")
		} else {
			parts = append(parts, "[--"+f.Name+" "+strings.ToUpper(arg)+"]")
		}
	})
	if c.args != "" {
		parts = append(parts, c.args)
	}
	return strings.Join(parts, " ")
}

// commandUsage writes one command's usage: its synopsis, what it does and
// its flags with their defaults.
func commandUsage(w io.Writer, c command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: pkwatchdogd %s\n\n%s.\n", synopsis(c, fs), c.summary)
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprintf(w, "\nflags:\n")
			first = false
		}
		arg, text := flag.UnquoteUsage(f)
		if arg != "" {
			arg = " " + strings.ToUpper(arg)
		}
		if f.DefValue != "" && f.DefValue != "false" {
			text += fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%s%s\n      %s\n", f.Name, arg, text)
	})
}

// usage lists every command with its synopsis.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: pkwatchdogd [COMMAND] [FLAGS]\n\ncommands:\n")
	for _, c := range commands() {
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.setup(fs)
		fmt.Fprintf(&b, "  %s\n      %s\n", synopsis(c, fs), c.summary)
	}
	b.WriteString(`
pkwatchdogd --version is pkwatchdogd version; pkwatchdogd help COMMAND or
pkwatchdogd COMMAND --help lists a command's flags with their defaults.

exit status of check: 0 all kites up, 1 a kite is down, 2 inconclusive,
78 config error, 64 bad usage. man pkwatchdogd says more.
`)
	return b.String()
}

func setupHelp(*flag.FlagSet) runFunc {
	return func(_ context.Context, args []string, stdout, stderr io.Writer) int {
		if len(args) == 0 {
			fmt.Fprint(stdout, usage())
			return exitOK
		}
		c, ok := lookup(args[0])
		if !ok {
			fmt.Fprintf(stderr, "pkwatchdogd help: unknown command %q\n\n%s", args[0], usage())
			return exitUsage
		}
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.setup(fs)
		commandUsage(stdout, c, fs)
		return exitOK
	}
}

func setupVersion(*flag.FlagSet) runFunc {
	return func(_ context.Context, _ []string, stdout, _ io.Writer) int { return printVersion(stdout) }
}

// printVersion prints the version, the commit, the Go version and the
// target (GOOS/GOARCH, with GOARM or GOMIPS when the build set them), as
// node_exporter and prometheus do.
func printVersion(w io.Writer) int {
	rev, target := commit, runtime.GOOS+"/"+runtime.GOARCH
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && rev == "":
				rev = s.Value
			case s.Key == "GOARM" || s.Key == "GOMIPS":
				target += " " + s.Key + "=" + s.Value
			}
		}
	}
	if rev == "" {
		rev = "unknown"
	}
	fmt.Fprintf(w, "pkwatchdogd %s\n  commit:     %s\n  go version: %s\n  platform:   %s\n", version, rev, runtime.Version(), target)
	return exitOK
}
