package action

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestDescribe: validate's line for each way a restart finds its process.
func TestDescribe(t *testing.T) {
	cmd := DefaultOptions()
	cmd.Method, cmd.Command = MethodCommand, []string{"/usr/sbin/service", "pagekite", "restart"}
	pid := DefaultOptions()
	pid.PIDFile, pid.Signal = "/run/pk.pid", unix.SIGABRT
	unit := DefaultOptions()
	unit.Method = MethodSystemd
	scan := DefaultOptions()
	scan.Unit = ""
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{cmd, "command /usr/sbin/service"},
		{pid, "signal SIGABRT to the pid in /run/pk.pid"},
		{unit, "systemd SIGSEGV to pagekite.service's main pid, else the one process matching process_match"},
		{scan, "signal SIGSEGV to the one process matching process_match"},
	} {
		if got := tt.o.Describe(); got != tt.want {
			t.Errorf("Describe() = %q, want %q", got, tt.want)
		}
	}
}
