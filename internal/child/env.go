package child

import "strings"

// Env returns environ (as from os.Environ) without the variables by which
// systemd talks to this process: NOTIFY_SOCKET, WATCHDOG_USEC,
// WATCHDOG_PID and LISTEN_* (socket activation). A child process given
// them could send READY=1 or WATCHDOG=1 on the daemon's behalf, or claim
// its sockets. DEBUGINFOD_URLS goes too: a stack tool given it downloads
// symbols from the network in the middle of a restart. environ is not
// modified.
func Env(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "NOTIFY_SOCKET", name == "WATCHDOG_USEC", name == "WATCHDOG_PID",
			name == "DEBUGINFOD_URLS", strings.HasPrefix(name, "LISTEN_"):
			continue
		}
		out = append(out, kv)
	}
	return out
}
