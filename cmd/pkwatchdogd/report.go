package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/discover"
	"github.com/pagekite/pkwatchdogd/internal/probe"
	"github.com/pagekite/pkwatchdogd/internal/report"
)

// setupReport defines the flags of `pkwatchdogd report`.
func setupReport(fs *flag.FlagSet) runFunc {
	path := fs.String("config", defaultConfig, "config `file`")
	kite := fs.String("kite", "", "the `name` of the kite the report is about (default: the first one)")
	dry := fs.Bool("dry-run", false, "build the bundle locally; required: reports are only sent by the daemon")
	return func(ctx context.Context, _ []string, stdout, stderr io.Writer) int {
		return runReport(ctx, *path, *kite, *dry, stdout, stderr)
	}
}

// runReport builds a crash report bundle from the current logs, signalling
// and uploading nothing, and prints its path and a listing so that a user
// can read exactly what would be sent. The bundle is written to a new
// temporary directory (printed); state_dir is not touched.
func runReport(ctx context.Context, path, kite string, dry bool, stdout, stderr io.Writer) int {
	if !dry {
		fmt.Fprintln(stderr, "pkwatchdogd report: --dry-run is required: crash reports are only sent by the daemon after a restart")
		return exitUsage
	}
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
	owner, target, ok := pickTarget(instances, kite)
	if !ok {
		fmt.Fprintf(stderr, "pkwatchdogd report: no kite %q in the config\n", kite)
		return exitUsage
	}
	// The bundle goes to a directory of its own: a dry run changes nothing
	// in state_dir (no bundle pruned, no mode changed) and needs no lock.
	tmp, err := os.MkdirTemp("", "pkwatchdogd-report-")
	if err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd report: %v\n", err)
		return exitDown
	}
	builder, err := newBuilderIn(log, cfg, tmp)
	if err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd: %v\n", err)
		return exitConfig
	}
	in := report.Input{Kite: target.Name, Instance: owner.Name, Reason: "pkwatchdogd report --dry-run", At: time.Now(),
		LogFile: owner.LogFile, JournalUnit: owner.JournalUnit, LogCommand: owner.LogCommand}
	r := newProber(cfg).Probe(ctx, target)
	in.Probes = []probe.Result{r}
	if r.Verdict == probe.Flying {
		in.LastFlying = r.Start
	}
	b, err := builder.Build(ctx, in)
	if err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd report: %v\n", err)
		return exitDown
	}
	fmt.Fprintf(stdout, "%s (%d bytes), nothing uploaded:\n", b.Path, b.Size)
	t := table{right: true}
	for _, m := range b.Members {
		t.row(strconv.FormatInt(m.Size, 10), "  "+m.Name, "")
	}
	t.write(stdout)
	return exitOK
}

// pickTarget finds the kite by name, or the first kite for "", and the
// instance that flies it.
func pickTarget(instances []config.Instance, name string) (config.Instance, probe.Target, bool) {
	for _, in := range instances {
		for _, t := range in.Targets {
			if name == "" || t.Name == name {
				return in, t, true
			}
		}
	}
	return config.Instance{}, probe.Target{}, false
}
