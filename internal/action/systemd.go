package action

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// systemdTimeout bounds one question to systemd (systemctl).
const systemdTimeout = 5 * time.Second

// errNoSystemd: systemctl could not answer (no systemd, no systemctl).
var errNoSystemd = errors.New("systemd is not reachable")

// unitMainPID asks systemd for unit's MainPID with `systemctl show -p
// MainPID --value` (systemctl rather than a D-Bus client library: the same
// answer, and 0.39 MB less binary). (0, nil): the unit has no main process
// (inactive). (0, err wrapping errNoSystemd): systemctl did not answer.
func unitMainPID(ctx context.Context, unit string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, systemdTimeout)
	defer cancel()
	out, err := runCommand(ctx, []string{"systemctl", "show", "-p", "MainPID", "--value", unit}, systemdTimeout)
	if err != nil {
		return 0, fmt.Errorf("MainPID of %s: %w: systemctl: %w", unit, errNoSystemd, err)
	}
	return parseMainPID(out)
}

// parseMainPID parses systemctl's answer to show -p MainPID --value.
func parseMainPID(out string) (int, error) {
	s := strings.TrimSpace(out)
	pid, err := strconv.Atoi(s)
	if err != nil || pid < 0 || pid > maxPID {
		return 0, fmt.Errorf("systemctl gave MainPID %q: not a pid", s)
	}
	return pid, nil
}
