package action

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunCommandEnvironment runs a real child and checks that it does not
// inherit the watchdog's systemd variables.
func TestRunCommandEnvironment(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "/run/systemd/notify")
	t.Setenv("WATCHDOG_USEC", "30000000")
	t.Setenv("WATCHDOG_PID", "1")
	t.Setenv("PKWATCHDOGD_TEST_KEEP", "kept")
	out, err := runCommand(t.Context(), []string{"env"}, 5*time.Second)
	if err != nil {
		t.Fatalf("runCommand(env) = %v", err)
	}
	for _, name := range []string{"NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID="} {
		if strings.Contains(out, name) {
			t.Errorf("runCommand(env) output has %s, want it removed", name)
		}
	}
	if !strings.Contains(out, "PKWATCHDOGD_TEST_KEEP=kept") {
		t.Errorf("runCommand(env) output lacks PKWATCHDOGD_TEST_KEEP=kept, want other variables kept")
	}
}

func TestRunCommandErrors(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		timeout time.Duration
		errHas  string
	}{
		{"empty", nil, time.Second, "empty command"},
		{"missing program", []string{filepath.Join(t.TempDir(), "nope")}, time.Second, "no such file"},
		{"exit status", []string{"sh", "-c", "exit 3"}, time.Second, "exit status 3"},
		{"timeout", []string{"sleep", "30"}, 200 * time.Millisecond, "timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := runCommand(t.Context(), tt.argv, tt.timeout)
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("runCommand(%q) = %v, want an error with %q", tt.argv, err, tt.errHas)
			}
			if d := time.Since(start); d > tt.timeout+3*time.Second {
				t.Errorf("runCommand(%q) took %v, want about %v at most", tt.argv, d, tt.timeout)
			}
		})
	}
}
