package pklog

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/sdnotify"
)

// RunCommand runs argv (a log reader: journalctl, logread) within timeout,
// without the daemon's systemd variables, and returns the last maxBytes of
// its standard output; cut says that earlier output was dropped (its
// first line is then partial). Memory stays within twice maxBytes however
// much the command writes. The error names the command and quotes the end
// of its standard error.
func RunCommand(ctx context.Context, argv []string, timeout time.Duration, maxBytes int) (out []byte, cut bool, err error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, false, fmt.Errorf("log command %s: %w", argv[0], err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, argv[1:]...)
	cmd.Env = sdnotify.ChildEnv(os.Environ())
	stdout, stderr := lastBytes{max: maxBytes}, lastBytes{max: 4 << 10}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, false, fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, bytes.TrimSpace(stderr.b))
	}
	return stdout.b, stdout.cut, nil
}

// lastBytes keeps the last max bytes written to it (at most twice that in
// memory).
type lastBytes struct {
	b   []byte
	max int
	cut bool // bytes were dropped from the front
}

func (l *lastBytes) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	if len(l.b) > 2*l.max {
		l.b = append(l.b[:0], l.b[len(l.b)-l.max:]...)
		l.cut = true
	}
	return len(p), nil
}
