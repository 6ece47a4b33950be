// Package sdnotify tells systemd how pkwatchdogd is doing: READY=1 once the
// kites are scheduled, RELOADING=1 and STOPPING=1 around a reload or a stop,
// a STATUS= line for `systemctl status`, and WATCHDOG=1 pings while every
// loop of the daemon makes progress (Monitor), so that a wedged daemon is
// killed and restarted by systemd's watchdog (WatchdogSec=).
//
// Everything here is a no-op when NOTIFY_SOCKET is unset, that is, when
// pkwatchdogd runs outside systemd or in a unit that is not Type=notify.
// The environment is never unset: tests and child processes are dealt with
// explicitly (child.Env).
package sdnotify
