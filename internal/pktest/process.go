package pktest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is one child process started by this package. A goroutine reaps it
// as soon as it exits, so that signals sent by a test are seen promptly and
// no zombie is left behind.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the child is reaped

	mu    sync.Mutex // guards state
	state string     // how the child ended, as os.ProcessState.String() puts it
}

// startProc starts argv in dir with stdout and stderr going to outFile.
func startProc(argv []string, dir, outFile string) (*proc, error) {
	out, err := os.Create(outFile)
	if err != nil {
		return nil, fmt.Errorf("create output file: %w", err)
	}
	defer out.Close() // the child holds its own copy
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		err := cmd.Wait()
		p.mu.Lock()
		defer p.mu.Unlock()
		switch {
		case cmd.ProcessState != nil:
			p.state = cmd.ProcessState.String()
		case err != nil:
			p.state = err.Error()
		}
	}()
	return p, nil
}

// exited reports whether the child has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitState is how the child ended, "" while it runs.
func (p *proc) exitState() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// signal sends sig to the child by PID; it is an error once the child has
// been reaped (its PID may belong to someone else by then).
func (p *proc) signal(sig os.Signal) error {
	if p.exited() {
		return fmt.Errorf("signal pid %d: %w", p.cmd.Process.Pid, os.ErrProcessDone)
	}
	return p.cmd.Process.Signal(sig)
}

// stop ends the child: SIGTERM, then SIGKILL after grace, and waits until it
// is reaped. It may be called more than once.
func (p *proc) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		_ = p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// logTail logs the last lines of file when the test has failed, to explain
// what the real process saw.
func logTail(t testing.TB, what, file string) {
	t.Helper()
	if !t.Failed() {
		return
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Logf("%s: %v", what, err)
		return
	}
	const max = 4096
	if len(b) > max {
		b = b[len(b)-max:]
	}
	t.Logf("%s (%s), last %d bytes:\n%s", what, file, len(b), b)
}
