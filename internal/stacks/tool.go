package stacks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/child"
)

// DefaultTimeout is restart.stacks_timeout's default: the longest a stack
// tool may delay a restart.
const DefaultTimeout = 3 * time.Second

// maxToolOutput bounds what a tool's output may take in memory.
const maxToolOutput = 1 << 20

// Tools are the stack tools Native tries, in order.
var Tools = []string{"eu-stack", "gdb"}

// ErrNoTool: neither eu-stack (elfutils) nor gdb is installed.
var ErrNoTool = errors.New("no stack tool: install elfutils (eu-stack) or gdb for native stacks")

// Native attaches eu-stack, else gdb, to pid (which must be stopped or
// running, not yet killed) and returns every thread's frames and the tool
// used. It takes at most timeout (the tool, and anything it started, is
// killed then): the caller's restart is never delayed longer. gdb runs
// with frame arguments and entry values off, a backtrace without locals,
// no init files, no auto-loaded scripts and no debuginfod; either tool's
// output is parsed into NativeFrames and dropped, so no value reaches the
// result whatever it prints.
func Native(ctx context.Context, pid int, timeout time.Duration) ([]NativeThread, string, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tool := ""
	for _, t := range Tools {
		if _, err := exec.LookPath(t); err == nil {
			tool = t
			break
		}
	}
	if tool == "" {
		return nil, "", ErrNoTool
	}
	maps, _ := readLimited("/proc/"+strconv.Itoa(pid)+"/maps", 4<<20)
	p := strconv.Itoa(pid)
	argv := []string{"eu-stack", "-p", p, "-n", strconv.Itoa(MaxFrames)}
	if tool == "gdb" {
		argv = []string{"gdb", "-batch", "-nx", "-nh",
			"-iex", "set debuginfod enabled off", "-iex", "set auto-load safe-path /nonexistent",
			"-iex", "set print frame-arguments none", "-iex", "set print entry-values no",
			"-p", p, "-ex", "thread apply all bt " + strconv.Itoa(MaxFrames)}
	}
	out, err := child.Run(ctx, child.Cmd{Argv: argv, Timeout: timeout, MaxOutput: maxToolOutput, Combined: true, KillGroup: true})
	var threads []NativeThread
	if tool == "gdb" {
		threads = ParseGDB(out.Stdout, ParseMaps(maps))
	} else {
		threads = ParseEuStack(out.Stdout, ParseMaps(maps))
	}
	switch {
	case len(threads) > 0:
		// eu-stack exits 1 when some frames had errors: the rest stand.
		return threads, tool, nil
	case err != nil:
		return nil, tool, err
	default:
		return nil, tool, fmt.Errorf("%s printed no stack", tool)
	}
}

// readLimited reads at most max bytes of path.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max))
}
