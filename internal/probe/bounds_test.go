package probe

import (
	"context"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
)

// endless serves every connection with prefix, then junk until the client
// hangs up or 64 MiB went out (bounded): an endless status line or header.
func endless(t *testing.T, prefix string) string {
	t.Helper()
	return serveTCP(t, func(c net.Conn) {
		go func() { _, _ = io.Copy(io.Discard, c) }()
		_, _ = io.WriteString(c, prefix)
		junk := strings.Repeat("a", 64<<10)
		for i := 0; i < 1024; i++ {
			if _, err := io.WriteString(c, junk); err != nil {
				return
			}
		}
	})
}

// TestEndlessAnswersBounded: whatever answers on the relay's address, a
// probe reads at most MaxHeader+MaxBody bytes and says unrecognized.
func TestEndlessAnswersBounded(t *testing.T) {
	for _, tt := range []struct {
		name, prefix string
		target       Target
	}{
		{"status line", "HTTP/1.1 200 ", Target{Name: "foo.kite.test"}},
		{"one header", "HTTP/1.1 503 Unavailable\r\nX-PageKite-Status: ", Target{Name: "foo.kite.test"}},
		{"many headers", "HTTP/1.1 200 OK\r\n", Target{Name: "foo.kite.test"}},
		{"https-only kite", "HTTP/1.1 200 OK\r\nX-A: ", Target{Name: "foo.kite.test", HTTPSOnly: true}},
		{"raw", "HTTP/1.0 503 Unavailable\r\nX-A: ", Target{Name: "foo.kite.test", Kind: KindRaw, Port: 22}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			prefix := tt.prefix
			if tt.name == "many headers" {
				prefix += strings.Repeat("X-A: b\r\n", 100000)
			}
			target := tt.target
			target.ConnectTo = endless(t, prefix)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			got := New(shortOpts()).Probe(context.Background(), target)
			runtime.ReadMemStats(&after)
			t.Logf("Probe = %s %q in %v", got.Verdict, got.Detail, got.Duration)
			if got.Verdict != Unrecognized || !strings.Contains(got.Detail, "headers longer than") {
				t.Errorf("Probe = %s %q, want unrecognized, headers longer than", got.Verdict, got.Detail)
			}
			// Allocated in total by the probe (the server's writes are
			// its own): a few times MaxHeader, never the 64 MiB sent.
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Errorf("the probe allocated %d KiB, want under 8 MiB", grew>>10)
			}
		})
	}
}
