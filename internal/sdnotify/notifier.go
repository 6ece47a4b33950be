package sdnotify

import (
	"strings"

	"github.com/coreos/go-systemd/v22/daemon"
	"go.uber.org/zap"
)

// Notifier sends state changes to systemd over NOTIFY_SOCKET. Its methods
// are safe for concurrent use. A failure to send is logged, never returned:
// the daemon's work does not depend on systemd hearing about it.
type Notifier struct {
	log *zap.Logger
}

// NewNotifier returns a Notifier that logs send failures to log.
func NewNotifier(log *zap.Logger) *Notifier {
	if log == nil {
		log = zap.NewNop()
	}
	return &Notifier{log: log}
}

// Ready sends READY=1: startup, or a reload, is complete.
func (n *Notifier) Ready() { n.send(daemon.SdNotifyReady) }

// Reloading sends RELOADING=1 with MONOTONIC_USEC set to CLOCK_MONOTONIC
// now, as systemd ≥ 253 requires for Type=notify-reload (older systemd
// ignores it). Follow it with Ready once the reload is done.
func (n *Notifier) Reloading() {
	n.send(daemon.SdNotifyReloading + "\n" + strings.TrimSuffix(daemon.SdNotifyMonotonicUsec(), "\n"))
}

// Stopping sends STOPPING=1: the daemon is shutting down.
func (n *Notifier) Stopping() { n.send(daemon.SdNotifyStopping) }

// Status sends STATUS=line, shown by `systemctl status`. Line breaks in line
// are replaced by spaces, so that the line cannot smuggle in other
// assignments (READY=1, say).
func (n *Notifier) Status(line string) {
	line = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, line)
	n.send("STATUS=" + line)
}

// watchdog sends WATCHDOG=1 and reports whether it reached systemd.
func (n *Notifier) watchdog() bool { return n.send(daemon.SdNotifyWatchdog) }

// send sends state; false when NOTIFY_SOCKET is unset or sending failed.
func (n *Notifier) send(state string) bool {
	sent, err := daemon.SdNotify(false, state)
	if err != nil {
		n.log.Warn("sd_notify failed", zap.String("state", firstLine(state)), zap.Error(err))
	}
	return sent
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
