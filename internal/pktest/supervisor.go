package pktest

import (
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// SuperviseOptions tune Supervise. Zero values get defaults.
type SuperviseOptions struct {
	// Delay between an exit and the restart (default 100ms).
	Delay time.Duration
	// MaxRestarts bounds the restarts (default 10); after that the child
	// stays dead.
	MaxRestarts int
	// Dir is the child's working directory (default: the test's).
	Dir string
	// Env is the child's environment (default: the test's).
	Env []string
	// Output, when set, receives the child's stdout and stderr; it must be
	// an *os.File so that no copying goroutine outlives the child.
	Output *os.File
}

// Supervisor is a small respawning supervisor, like systemd's
// Restart=always, running in the test process: it starts argv, and starts
// it again after it exits.
type Supervisor struct {
	argv []string
	opts SuperviseOptions
	done chan struct{}

	mu sync.Mutex // guards the fields below
	// stopped: no more restarts; the current child is being ended.
	stopped  bool
	cmd      *exec.Cmd
	pid      int
	restarts int
	exits    []string
	startErr error
}

// Supervise starts argv under a Supervisor, which t.Cleanup stops (the
// current child is killed by PID and reaped).
func Supervise(t testing.TB, argv []string, opts SuperviseOptions) *Supervisor {
	t.Helper()
	if opts.Delay <= 0 {
		opts.Delay = 100 * time.Millisecond
	}
	if opts.MaxRestarts <= 0 {
		opts.MaxRestarts = 10
	}
	s := &Supervisor{argv: argv, opts: opts, done: make(chan struct{})}
	if err := s.startLocked(); err != nil {
		t.Fatalf("Supervise(%v): %v", argv[0], err)
	}
	go s.loop()
	t.Cleanup(s.Stop)
	return s
}

// startLocked starts one child. The caller holds mu or is the only user.
func (s *Supervisor) startLocked() error {
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Dir = s.opts.Dir
	cmd.Env = s.opts.Env
	if s.opts.Output != nil {
		cmd.Stdout, cmd.Stderr = s.opts.Output, s.opts.Output
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd, s.pid = cmd, cmd.Process.Pid
	return nil
}

// loop waits for each child and restarts it.
func (s *Supervisor) loop() {
	defer close(s.done)
	for {
		s.mu.Lock()
		cmd := s.cmd
		s.mu.Unlock()
		err := cmd.Wait()
		s.mu.Lock()
		state := "unknown"
		if cmd.ProcessState != nil {
			state = cmd.ProcessState.String()
		} else if err != nil {
			state = err.Error()
		}
		s.exits = append(s.exits, state)
		s.pid = 0
		if s.stopped || s.restarts >= s.opts.MaxRestarts {
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()

		time.Sleep(s.opts.Delay)

		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			return
		}
		s.restarts++
		if err := s.startLocked(); err != nil {
			s.startErr = err
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// PID is the current child's PID, 0 while none runs.
func (s *Supervisor) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pid
}

// Restarts is how many times the child was started again.
func (s *Supervisor) Restarts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts
}

// Exits lists how each child ended, as os.ProcessState.String() puts it
// ("signal: segmentation fault", "signal: killed", "exit status 1").
func (s *Supervisor) Exits() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.exits...)
}

// WaitNewPID waits up to timeout for a running child whose PID is not old,
// and returns its PID; it fails the test on timeout.
func (s *Supervisor) WaitNewPID(t testing.TB, old int, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		pid, err := s.pid, s.startErr
		s.mu.Unlock()
		if pid != 0 && pid != old {
			return pid
		}
		if err != nil {
			t.Fatalf("Supervisor.WaitNewPID(%d): restart failed: %v", old, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("Supervisor.WaitNewPID(%d): no new child within %v (exits: %v)", old, timeout, s.Exits())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop ends the supervision: no more restarts, the current child is killed
// by PID (SIGKILL) and reaped. It may be called more than once.
func (s *Supervisor) Stop() {
	s.mu.Lock()
	s.stopped = true
	if s.pid != 0 {
		_ = s.cmd.Process.Kill()
	}
	s.mu.Unlock()
	<-s.done
}
