package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/discover"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/pymem"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// setupStacks defines the stacks command's flags.
func setupStacks(fs *flag.FlagSet) runFunc {
	path := fs.String("config", defaultConfig, "config `file`")
	asJSON := fs.Bool("json", false, "print JSON")
	name := fs.String("pagekite", "", "the PageKite instance `NAME` (default: the only one)")
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		return runStacks(ctx, *path, *name, *asJSON, args, stdout, stderr)
	}
}

// runStacks prints the Python stacks of a running CPython, read from its
// memory, as py-spy dump does: given a PID any CPython process, without
// reading the config; else the running pagekite.py of the instance name,
// or of the config's only instance. The process is held still for the
// read only. Exit: 0 read; 1 nothing could be read (the reason on
// stderr); 64 usage; 78 config.
func runStacks(ctx context.Context, path, name string, asJSON bool, args []string, stdout, stderr io.Writer) int {
	pid := 0
	if len(args) == 1 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n <= 0 || name != "" {
			fmt.Fprintf(stderr, "pkwatchdogd stacks: give a PID or --pagekite NAME, not %q\n", args[0])
			return exitUsage
		}
		pid = n
	} else {
		p, code := instancePID(ctx, path, name, stderr)
		if p == 0 {
			return code
		}
		pid = p
	}
	s, err := pymem.Read(ctx, pid)
	if err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd stacks: pid %d: %v\n", pid, err)
		return exitDown
	}
	if asJSON {
		out := struct {
			PID     int               `json:"pid"`
			Python  string            `json:"python"`
			Threads []stacks.PyThread `json:"threads"`
			Note    string            `json:"note,omitempty"`
		}{s.PID, s.Version, s.Threads, s.Note}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // "<module>", "<string>" as they are
		if err := enc.Encode(out); err != nil {
			return exitDown
		}
		return exitOK
	}
	fmt.Fprintf(stdout, "Process %d: CPython %s (%s)\n", s.PID, s.Version, s.File)
	fmt.Fprintf(stdout, "Read %d threads in %s, %s\n", len(s.Threads), s.Took.Round(10*time.Microsecond), s.Held)
	for _, t := range s.Threads {
		fmt.Fprintf(stdout, "\nThread %s (native %d)\n", t.ID, t.NativeID)
		for _, f := range t.Frames {
			fmt.Fprintf(stdout, "    %s (%s:%d)\n", f.Function, f.File, f.Line)
		}
		if t.FramesOmitted > 0 {
			fmt.Fprintf(stdout, "    ... %d more frames\n", t.FramesOmitted)
		}
		if t.Note != "" {
			fmt.Fprintf(stdout, "    (%s)\n", t.Note)
		}
	}
	if s.Note != "" {
		fmt.Fprintf(stdout, "\n(%s)\n", s.Note)
	}
	return exitOK
}

// instancePID finds the running process of the config's instance name
// (the only one when name is ""); 0 and the exit status when there is
// none.
func instancePID(ctx context.Context, path, name string, stderr io.Writer) (int, int) {
	cfg, code := loadConfig(path, stderr)
	if cfg == nil {
		return 0, code
	}
	log, closeLog := commandLogger(cfg, stderr)
	defer closeLog()
	instances, err := discover.Instances(log, cfg, discover.System())
	if err != nil {
		fmt.Fprintf(stderr, "pkwatchdogd: %s: %v\n", path, err)
		return 0, exitConfig
	}
	var names []string
	for _, in := range instances {
		names = append(names, in.Name)
		if in.Name != name && (name != "" || len(instances) != 1) {
			continue
		}
		p, err := newRestarter(log, in).Find(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "pkwatchdogd stacks: pagekite %s: %v\n", in.Name, err)
			return 0, exitDown
		}
		return p.PID, exitOK
	}
	if name == "" {
		fmt.Fprintf(stderr, "pkwatchdogd stacks: %s has %d PageKite instances %q: name one with --pagekite\n", path, len(instances), names)
	} else {
		fmt.Fprintf(stderr, "pkwatchdogd stacks: %s has no PageKite instance %q (it has %q)\n", path, name, names)
	}
	return 0, exitUsage
}

// pythonStacksLines says whether the running pagekite.py of r can have its
// Python stacks read from memory, and whether faulthandler prints them
// on SIGSEGV; nil when no pagekite.py runs.
func pythonStacksLines(ctx context.Context, r *action.Restarter) []string {
	p, err := r.Find(ctx)
	if err != nil || p.Kind != pagekite.Py {
		return nil
	}
	var lines []string
	if s, err := pymem.Read(ctx, p.PID); err != nil {
		lines = append(lines, fmt.Sprintf("python stacks: not read from memory (pid %d: %v)", p.PID, err))
	} else {
		lines = append(lines, fmt.Sprintf("python stacks: read from memory (CPython %s)", s.Version))
	}
	fh := stacks.PythonFaulthandler(p.PID)
	if fh.On {
		lines = append(lines, fmt.Sprintf("faulthandler: on (pid %d: %s)", p.PID, fh.Why))
	} else {
		lines = append(lines, fmt.Sprintf("faulthandler: off (pid %d: %s); optional, turn it on with %s", p.PID, fh.Why, stacks.DropIn))
	}
	return lines
}
