// Command pkwatchdogd keeps PageKite kites flying: it probes each kite end to
// end through its relay and, when the relay itself says the kite is not
// connected, restarts PageKite with SIGSEGV after a grace period and sends a
// rate-limited, scrubbed crash report. See README.md.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
