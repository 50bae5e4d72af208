package observability

import (
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Notifier tells systemd about the daemon's lifecycle (sd_notify). Outside
// systemd (no NOTIFY_SOCKET) every call does nothing.
type Notifier struct {
	watchdog time.Duration
}

// NewNotifier reads the service manager's settings from the environment.
func NewNotifier() *Notifier {
	iv, _ := daemon.SdWatchdogEnabled(false)
	return &Notifier{watchdog: iv}
}

// WatchdogInterval returns systemd's WatchdogSec, or 0 when none is set.
func (n *Notifier) WatchdogInterval() time.Duration { return n.watchdog }

func (n *Notifier) send(state string) { _, _ = daemon.SdNotify(false, state) }

// Ready says start-up is complete.
func (n *Notifier) Ready() { n.send(daemon.SdNotifyReady) }

// Reloading says a configuration reload has begun; send Ready after it.
func (n *Notifier) Reloading() { n.send(daemon.SdNotifyReloading) }

// Status sets the one-line status systemctl shows.
func (n *Notifier) Status(s string) { n.send("STATUS=" + s) }

// Watchdog pings the service manager's watchdog.
func (n *Notifier) Watchdog() { n.send(daemon.SdNotifyWatchdog) }

// Stopping says shutdown has begun.
func (n *Notifier) Stopping() { n.send(daemon.SdNotifyStopping) }
