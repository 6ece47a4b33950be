package pklog

import (
	"context"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/child"
)

// RunCommand runs argv (a log reader: journalctl, logread) within timeout
// through child.Run, and returns the last maxBytes of its standard output;
// cut says that earlier output was dropped (its first line is then
// partial). Memory stays within twice maxBytes however much the command
// writes. The error names the command and quotes the end of its standard
// error.
func RunCommand(ctx context.Context, argv []string, timeout time.Duration, maxBytes int) (out []byte, cut bool, err error) {
	res, err := child.Run(ctx, child.Cmd{Argv: argv, Timeout: timeout, MaxOutput: maxBytes, KeepLast: true})
	if err != nil {
		return nil, false, err
	}
	return res.Stdout, res.Cut, nil
}
