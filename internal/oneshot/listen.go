package oneshot

import (
	"context"
	"fmt"
	"net"
	"syscall"
	"time"
)

// DeferAccept is how long the kernel holds a connection whose client sent
// nothing before Serve sees it (Linux's TCP_DEFER_ACCEPT, rounded by the
// kernel to its SYN-ACK retransmits: about 1 s). A prompt client's request
// has then arrived by the time it is accepted, so that Serve never takes
// it for an idle one, however late the client's own process got to write
// it; an idle one is held in the kernel's SYN queue, not as a connection
// of Serve's, for that time.
const DeferAccept = time.Second

// Listen opens a TCP listener on addr for Serve, with DeferAccept. A
// kernel that refuses the option still gets a listener (Serve's cut of
// idle connections does the same job, only later); the error is then
// returned beside it for the caller to log.
func Listen(ctx context.Context, addr string) (net.Listener, error, error) {
	var optErr error
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		if err := rc.Control(func(fd uintptr) {
			optErr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT, int(DeferAccept/time.Second))
		}); err != nil {
			optErr = err
		}
		return nil
	}}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if optErr != nil {
		optErr = fmt.Errorf("TCP_DEFER_ACCEPT on %s: %w", ln.Addr(), optErr)
	}
	return ln, optErr, nil
}
