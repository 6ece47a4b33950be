package sdnotify

import "strings"

// ChildEnv returns environ (as from os.Environ) without the variables by
// which systemd talks to this process: NOTIFY_SOCKET, WATCHDOG_USEC,
// WATCHDOG_PID and LISTEN_* (socket activation). A child process given
// them could send READY=1 or WATCHDOG=1 on the daemon's behalf, or claim
// its sockets. environ is not modified.
func ChildEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "NOTIFY_SOCKET", name == "WATCHDOG_USEC", name == "WATCHDOG_PID",
			strings.HasPrefix(name, "LISTEN_"):
			continue
		}
		out = append(out, kv)
	}
	return out
}
