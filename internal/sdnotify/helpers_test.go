package sdnotify

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// listen opens a unixgram socket in a temporary directory, points
// NOTIFY_SOCKET at it, and returns it; systemd's end of the protocol, as in
// go-systemd's own tests.
func listen(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return conn
}

// received returns every datagram waiting on conn, without blocking for
// more than a moment.
func received(t *testing.T, conn *net.UnixConn) []string {
	t.Helper()
	var got []string
	buf := make([]byte, 4096)
	for range 10000 { // bounded: far more than any test sends
		if err := conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		n, err := conn.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(buf[:n]))
	}
	t.Fatal("too many datagrams")
	return nil
}

// collector drains a notify socket in the background, as systemd does: the
// kernel queues only a few datagrams (net.unix.max_dgram_qlen, often 10)
// before a sender blocks.
type collector struct {
	mu   sync.Mutex // guards got
	got  []string
	done chan struct{}
}

// collect starts draining conn until the test ends.
func collect(t *testing.T, conn *net.UnixConn) *collector {
	t.Helper()
	c := &collector{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return // closed by the test's cleanup
			}
			c.mu.Lock()
			c.got = append(c.got, string(buf[:n]))
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-c.done
	})
	return c
}

// wait returns what was received once there are n datagrams, or after
// two seconds.
func (c *collector) wait(n int) []string {
	deadline := time.Now().Add(2 * time.Second)
	for {
		c.mu.Lock()
		got := append([]string(nil), c.got...)
		c.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}
