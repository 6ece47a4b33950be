package redact

import (
	"strings"
	"testing"
	"time"
)

// TestWorstCasesLinear: the repetitions that make scanners quadratic cost
// about four times as much for four times the text (quadratic would be
// sixteen), and 32 KiB of any of them is scrubbed within seconds even
// under the race detector.
func TestWorstCasesLinear(t *testing.T) {
	r := New(Options{Secrets: []string{"k1teSecret-42"}, RedactIPs: true})
	timeOf := func(in string) time.Duration {
		best := time.Duration(1 << 62)
		for range 2 {
			start := time.Now()
			_ = r.String(in)
			best = min(best, time.Since(start))
		}
		return best
	}
	for _, unit := range []string{"a@", "?a", "a.b@c.de ", "1.1.1.", "::", "1:", "ff::1%", "secret=", "/x?", "token ", "\n", "authorization:\n", "\"pass\": \"", "%3D1.", "abc:"} {
		small := timeOf(strings.Repeat(unit, 8<<10/len(unit)))
		big := timeOf(strings.Repeat(unit, 32<<10/len(unit)))
		if big > 10*time.Second || (big > 20*time.Millisecond && big > 10*small) {
			t.Errorf("String(%q repeated): 8 KiB in %v, 32 KiB in %v: not linear", unit, small, big)
		}
	}
}
