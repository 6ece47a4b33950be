package action

import (
	"context"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/child"
)

// maxOutput bounds the command output kept for logs.
const maxOutput = 4 << 10

// runCommand runs argv (no shell) through child.Run (an environment
// without the daemon's systemd variables, a timeout) and returns the end of
// its combined output and an error that says how it failed.
func runCommand(ctx context.Context, argv []string, timeout time.Duration) (string, error) {
	out, err := child.Run(ctx, child.Cmd{Argv: argv, Timeout: timeout, MaxOutput: maxOutput, KeepLast: true, Combined: true})
	return string(out.Stdout), err
}
