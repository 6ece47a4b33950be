package action

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// pidHandle is a pidfd of a proven process: signals through it reach that
// process or nobody, never a later process that reused the PID.
type pidHandle struct {
	fd   int
	proc Process
}

// openProven opens a pidfd for p, then re-reads /proc/PID and checks that
// it is still the same process (PID, start time, command line) and still
// passes prove. Checking after the pidfd exists closes the PID-reuse race.
func (r *Restarter) openProven(p Process) (*pidHandle, error) {
	fd, err := unix.PidfdOpen(p.PID, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return nil, fmt.Errorf("%w: pid %d exited", ErrNotFound, p.PID)
		}
		return nil, fmt.Errorf("pidfd_open %d: %w", p.PID, err)
	}
	q, err := r.inspect(p.PID, p.named)
	if err == nil && !p.sameAs(q) {
		err = fmt.Errorf("%w: pid %d changed since it was checked", ErrNotPageKite, p.PID)
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &pidHandle{fd: fd, proc: q}, nil
}

// signal sends sig through the pidfd.
func (h *pidHandle) signal(sig unix.Signal) error {
	if err := unix.PidfdSendSignal(h.fd, sig, nil, 0); err != nil {
		return fmt.Errorf("send %s to pid %d: %w", unix.SignalName(sig), h.proc.PID, err)
	}
	return nil
}

// pollSlice bounds one poll, so that a cancelled context is seen soon.
const pollSlice = 100 * time.Millisecond

// waitExit waits until the process exits, timeout passes (false, nil) or
// ctx ends.
func (h *pidHandle) waitExit(ctx context.Context, timeout time.Duration) (bool, error) {
	deadline := time.Now().Add(timeout)
	fds := []unix.PollFd{{Fd: int32(h.fd), Events: unix.POLLIN}}
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		if err := ctx.Err(); err != nil {
			return false, fmt.Errorf("wait for pid %d to exit: %w", h.proc.PID, err)
		}
		n, err := unix.Poll(fds, int(min(left, pollSlice).Milliseconds())+1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("poll pidfd of pid %d: %w", h.proc.PID, err)
		}
		if n > 0 {
			return true, nil
		}
	}
}

// close releases the pidfd.
func (h *pidHandle) close() {
	unix.Close(h.fd)
}
