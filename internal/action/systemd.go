package action

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/dbus"
)

// systemdTimeout bounds one question to systemd (D-Bus or systemctl).
const systemdTimeout = 5 * time.Second

// errNoSystemd: neither the system D-Bus nor systemctl could answer.
var errNoSystemd = errors.New("systemd is not reachable")

// unitMainPID asks systemd for unit's MainPID: over the system D-Bus, else
// with `systemctl show -p MainPID --value`. (0, nil): the unit has no main
// process (inactive). (0, err wrapping errNoSystemd): neither answered.
func unitMainPID(ctx context.Context, unit string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, systemdTimeout)
	defer cancel()
	conn, busErr := dbus.NewSystemConnectionContext(ctx)
	if busErr == nil {
		defer conn.Close()
		prop, err := conn.GetServicePropertyContext(ctx, unit, "MainPID")
		if err == nil {
			if v, ok := prop.Value.Value().(uint32); ok {
				return int(v), nil
			}
			return 0, fmt.Errorf("MainPID of %s: unexpected type %s", unit, prop.Value.Signature())
		}
		busErr = err
	}
	out, cmdErr := runCommand(ctx, []string{"systemctl", "show", "-p", "MainPID", "--value", unit}, systemdTimeout)
	if cmdErr != nil {
		return 0, fmt.Errorf("MainPID of %s: %w: d-bus: %w; systemctl: %w", unit, errNoSystemd, busErr, cmdErr)
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
