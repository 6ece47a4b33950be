package sdnotify

import (
	"context"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"go.uber.org/zap"
)

// RunWatchdog pings systemd's watchdog (WATCHDOG=1) every half period while
// m says every loop is alive, until ctx is done. It returns at once when the
// service has no watchdog: WATCHDOG_USEC unset, or WATCHDOG_PID naming
// another process. While some loop is stale it sends nothing, so that
// systemd kills and restarts the wedged daemon; it logs the stale loops once
// per such episode, and once more when they recover. onPing, if not nil, is
// called after each ping that reached systemd (for metrics). now is
// time.Now in production.
func RunWatchdog(ctx context.Context, log *zap.Logger, n *Notifier, m *Monitor, onPing func(), now func() time.Time) {
	period, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("systemd watchdog disabled: bad environment", zap.Error(err))
		return
	}
	if period <= 0 {
		return
	}
	every := period / 2
	log.Info("pinging the systemd watchdog", zap.Duration("timeout", period), zap.Duration("every", every))
	t := time.NewTicker(every)
	defer t.Stop()
	wedged := false
	for {
		ok, stale := m.Alive(now())
		switch {
		case ok && wedged:
			wedged = false
			log.Info("all loops alive again, resuming watchdog pings")
		case !ok && !wedged:
			wedged = true
			log.Error("loops stale, withholding watchdog pings", zap.Strings("loops", stale),
				zap.Duration("timeout", period))
		}
		if ok && n.watchdog() && onPing != nil {
			onPing()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
