package redact

import (
	"strings"
	"testing"
	"time"
)

// TestWorstCasesLinear: 64 KiB of the repetitions that make scanners
// quadratic are scrubbed in well under a second each.
func TestWorstCasesLinear(t *testing.T) {
	r := New(Options{Secrets: []string{"k1teSecret-42"}, RedactIPs: true})
	for _, unit := range []string{"a@", "?a", "a.b@c.de ", "1.1.1.", "::", "1:", "ff::1%", "secret=", "/x?", "token ", "\n", "authorization:\n", "\"pass\": \"", "%3D1.", "abc:"} {
		in := strings.Repeat(unit, 64<<10/len(unit))
		start := time.Now()
		_ = r.String(in)
		if d := time.Since(start); d > time.Second {
			t.Errorf("String(%q x %d) took %v", unit, len(in)/len(unit), d)
		}
	}
}
