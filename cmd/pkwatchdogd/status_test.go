package main

import (
	"strings"
	"testing"

	"github.com/pagekite/pkwatchdogd/internal/status"
)

// TestPrintStatusHeld (#31): `status` shows a held kite as held, and why:
// the relay's refusal in the note, or the held reason when there is none.
func TestPrintStatusHeld(t *testing.T) {
	tests := []struct {
		name string
		kite status.Kite
		want []string
	}{
		{
			name: "held, with the watchdog's note",
			kite: status.Kite{Name: "a.kite.test", Pagekite: "pagekite", State: "suspect", Verdict: "rejected", Count: 2,
				Held: "rejected by the relay", Note: "rejected by the relay: check the kite's secret", Detail: "relay 127.0.0.1:80: Down-FE"},
			want: []string{"suspect (held)", "rejected by the relay: check the kite's secret"},
		},
		{
			name: "held, no note",
			kite: status.Kite{Name: "a.kite.test", Pagekite: "pagekite", State: "cooldown", Verdict: "rejected",
				Held: "rejected by the relay", Detail: "relay 127.0.0.1:80: Down-FE"},
			want: []string{"cooldown (held)", "held: rejected by the relay"},
		},
		{
			name: "not held",
			kite: status.Kite{Name: "a.kite.test", Pagekite: "pagekite", State: "grace", Verdict: "kite-down", Detail: "relay 127.0.0.1:80: Down-FE"},
			want: []string{"grace ", "relay 127.0.0.1:80: Down-FE"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			printStatus(&b, &status.File{Version: "test", Kites: []status.Kite{tt.kite}})
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("printStatus(%+v) =\n%s\nwant %q in it", tt.kite, b.String(), w)
				}
			}
			if tt.kite.Held == "" && strings.Contains(b.String(), "held") {
				t.Errorf("printStatus(%+v) =\n%s\nwant no held", tt.kite, b.String())
			}
		})
	}
}
