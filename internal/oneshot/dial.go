package oneshot

import (
	"context"
	"crypto/tls"
	"net"
	"time"
)

// Conn is a connection whose reads and writes end at ctx's deadline or
// as soon as ctx is cancelled. Close it once done.
type Conn struct {
	net.Conn
	raw  net.Conn
	stop func() bool
}

// Dial connects to addr ("host:port") over TCP and, when tc is not nil,
// makes the TLS handshake with tc. The connection's deadline is ctx's;
// cancelling ctx unblocks the dial, the handshake and every later read and
// write. Errors are the dial's or the handshake's, unwrapped (a timeout is
// a net.Error with Timeout(); a TLS alert, a tls.AlertError).
func Dial(ctx context.Context, addr string, tc *tls.Config) (*Conn, error) {
	// No TCP keep-alive: one exchange, bounded by ctx, needs none, and
	// turning it on is four setsockopt calls per connection.
	d := net.Dialer{KeepAlive: -1}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	c := &Conn{Conn: raw, raw: raw}
	c.stop = context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Now()) })
	if tc != nil {
		tconn := tls.Client(raw, tc)
		if err := tconn.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		c.Conn = tconn
	}
	return c, nil
}

// Close closes the connection (without a TLS close_notify: nothing more
// is read or written).
func (c *Conn) Close() error {
	c.stop()
	return c.raw.Close()
}
