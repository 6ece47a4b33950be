package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/sdnotify"
)

// childEnv is the watchdog's environment without the variables by which
// systemd talks to it alone (sdnotify.ChildEnv): a child that inherited
// NOTIFY_SOCKET or WATCHDOG_* could speak to systemd in the watchdog's name.
func childEnv() []string { return sdnotify.ChildEnv(os.Environ()) }

// maxOutput bounds the command output kept for logs.
const maxOutput = 512

// tail returns the last maxOutput bytes of s.
func tail(s string) string {
	if len(s) > maxOutput {
		return s[len(s)-maxOutput:]
	}
	return s
}

// runCommand runs argv (no shell) with childEnv and a timeout, and returns
// its combined output and an error that says how it failed.
func runCommand(ctx context.Context, argv []string, timeout time.Duration) (string, error) {
	if len(argv) == 0 || argv[0] == "" {
		return "", errors.New("empty command")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = childEnv()
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// A grandchild that keeps the output pipe open must not hold us.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err != nil {
		if ctx.Err() != nil {
			return out.String(), fmt.Errorf("command %s: timed out after %v: %w", argv[0], timeout, err)
		}
		return out.String(), fmt.Errorf("command %s: %w", argv[0], err)
	}
	return out.String(), nil
}
