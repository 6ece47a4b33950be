package child

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// ErrTimedOut: the program outlived Cmd.Timeout (or the context) and was
// killed with its process group.
var ErrTimedOut = errors.New("timed out")

// DefaultMaxOutput is Cmd.MaxOutput when it is 0.
const DefaultMaxOutput = 64 << 10

// stderrKept is how much of standard error is kept for the error text.
const stderrKept = 4 << 10

// Cmd is one program to run.
type Cmd struct {
	// Argv is the program and its arguments; Argv[0] is looked up in PATH.
	Argv []string
	// Timeout bounds the run; it is required (> 0).
	Timeout time.Duration
	// MaxOutput bounds the standard output kept (DefaultMaxOutput when 0).
	MaxOutput int
	// KeepLast keeps the last MaxOutput bytes instead of the first (a log
	// reader, whose newest lines matter).
	KeepLast bool
	// Combined sends standard error into the same bounded output.
	Combined bool
	// KillGroup runs the program in a process group of its own and kills
	// the whole group at the deadline (a stack tool and its helpers).
	// Without it only the program is killed: what a start command
	// launched (PageKite itself) must outlive it.
	KillGroup bool
}

// Output is what a program wrote, within the bounds.
type Output struct {
	// Stdout is standard output (with standard error when Combined).
	Stdout []byte
	// Cut: bytes beyond MaxOutput were dropped (from the end, or, with
	// KeepLast, from the front, so that the first line may be partial).
	Cut bool
	// Stderr is the end of standard error (without Combined).
	Stderr []byte
}

// Run runs c and returns its output. Memory stays within twice MaxOutput
// (plus 8 KiB of standard error) whatever the program writes. The error
// names the program: not found, failed (with the end of its standard
// error) or ErrTimedOut. At the deadline the program (with KillGroup, its
// process group) gets SIGKILL; Run returns at most a second after the
// program ended even if a grandchild keeps the output open.
func Run(ctx context.Context, c Cmd) (Output, error) {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return Output{}, errors.New("empty command")
	}
	if c.Timeout <= 0 {
		return Output{}, fmt.Errorf("command %s: no timeout", c.Argv[0])
	}
	path, err := exec.LookPath(c.Argv[0])
	if err != nil {
		return Output{}, fmt.Errorf("command %s: %w", c.Argv[0], err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, c.Argv[1:]...)
	cmd.Env = Env(os.Environ())
	if c.KillGroup {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	}
	cmd.WaitDelay = time.Second
	max := c.MaxOutput
	if max <= 0 {
		max = DefaultMaxOutput
	}
	out := &bounded{max: max, last: c.KeepLast}
	errOut := &bounded{max: stderrKept, last: true}
	cmd.Stdout = out
	if c.Combined {
		cmd.Stderr = out
	} else {
		cmd.Stderr = errOut
	}
	err = cmd.Run()
	res := Output{Stdout: out.bytes(), Cut: out.cut, Stderr: errOut.bytes()}
	switch {
	case err == nil:
		return res, nil
	case ctx.Err() != nil:
		return res, fmt.Errorf("command %s: %w after %v", c.Argv[0], ErrTimedOut, c.Timeout)
	case len(res.Stderr) > 0:
		return res, fmt.Errorf("command %s: %w: %s", c.Argv[0], err, trimSpace(res.Stderr))
	default:
		return res, fmt.Errorf("command %s: %w", c.Argv[0], err)
	}
}

func trimSpace(b []byte) string {
	i, j := 0, len(b)
	for i < j && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	for j > i && (b[j-1] == ' ' || b[j-1] == '\n' || b[j-1] == '\t' || b[j-1] == '\r') {
		j--
	}
	return string(b[i:j])
}
