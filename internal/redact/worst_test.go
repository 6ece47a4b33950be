package redact

import (
	"strings"
	"testing"
	"time"
)

// TestWorstCasesLinear: the repetitions that make scanners quadratic cost
// about sixteen times as much for sixteen times the text (quadratic would
// be 256; the bound is 64, for timing noise; not checked under the race
// detector, which slows code unevenly), and
// 64 KiB of any of them is scrubbed within seconds even under the race
// detector.
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
	for _, unit := range []string{"a@", "?a", "a.b@c.de ", "1.1.1.", "::", "1:", "ff::1%", "secret=", "/x?", "token ", "\n", "authorization:\n", "\"pass\": \"", "%3D1.", "abc:", "%25", "&amp;", `\u0041`, "&#x6b;1te", "id=", "a=b%3Fc "} {
		small := timeOf(strings.Repeat(unit, 4<<10/len(unit)))
		big := timeOf(strings.Repeat(unit, 64<<10/len(unit)))
		if big > 10*time.Second || (!raceEnabled && big > 50*time.Millisecond && big > 64*small) {
			t.Errorf("String(%q repeated): 4 KiB in %v, 64 KiB in %v: not linear", unit, small, big)
		}
	}
}
