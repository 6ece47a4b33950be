package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pagekite/pkwatchdogd/internal/action"
)

func TestNoPagekiteTableIsTheDefaultInstance(t *testing.T) {
	// The default instance may be named.
	cfg, err := parse("t.toml", "[restart]\npidfile = \"/run/pk.pid\"\n[[kite]]\nname = \"a.kite.test\"\npagekite = \"pagekite\"\n")
	if err != nil {
		t.Fatalf("parse() = %v", err)
	}
	ins, err := cfg.Instances()
	if err != nil || len(ins) != 1 || ins[0].Name != DefaultInstance || ins[0].Restart.PIDFile != "/run/pk.pid" || len(ins[0].Targets) != 1 {
		t.Fatalf("Instances() = %+v, %v, want one %q instance with [restart] and the kite", ins, err, DefaultInstance)
	}
}

// TestInstancesActionOptions: each instance's restart keys, [restart]'s
// and its own overrides, reach its restarter's options ready: the signal
// parsed, process_match compiled, durations and commands as given, and a
// key left out at action's default.
func TestInstancesActionOptions(t *testing.T) {
	cfg, err := parse("t.toml", `
[restart]
kill_timeout = "7s"
stacks = "off"
[[pagekite]]
name = "main"
pidfile = "/run/main.pid"
signal = "ABRT"
process_match = "^/opt/pk "
user = "root"
[[pagekite]]
name = "other"
method = "command"
command = ["/usr/sbin/service", "pagekite", "restart"]
command_timeout = "9s"
dry_run = true
[[kite]]
name = "a.kite.test"
pagekite = "main"
[[kite]]
name = "b.kite.test"
pagekite = "other"
`)
	if err != nil {
		t.Fatalf("parse() = %v", err)
	}
	ins, err := cfg.Instances()
	if err != nil || len(ins) != 2 {
		t.Fatalf("Instances() = %d, %v; want 2", len(ins), err)
	}
	m, o := ins[0].Action, ins[1].Action
	def := action.DefaultOptions()
	if m.Method != action.MethodSignal || m.PIDFile != "/run/main.pid" || m.Signal != unix.SIGABRT || m.ProcessMatch.String() != "^/opt/pk " ||
		m.User != "root" || m.KillTimeout != 7*time.Second || m.AttachStacks || m.DryRun ||
		m.Diagnostics != def.Diagnostics || m.RespawnTimeout != def.RespawnTimeout || m.DiagnosticsWait != def.DiagnosticsWait {
		t.Errorf("main's options = %+v, want its pid file, SIGABRT, its process_match and user, [restart]'s kill_timeout and stacks off, defaults else", m)
	}
	if o.Method != action.MethodCommand || !slices.Equal(o.Command, []string{"/usr/sbin/service", "pagekite", "restart"}) ||
		o.CommandTimeout != 9*time.Second || !o.DryRun || o.Signal != action.DefaultSignal || o.ProcessMatch.String() != action.DefaultProcessPattern {
		t.Errorf("other's options = %+v, want its command, command_timeout and dry run, the default signal and process_match", o)
	}
}

func TestInstanceProblems(t *testing.T) {
	tests := []struct {
		name, toml string
		want       []string
	}{
		{"kite without pagekite among two", `
[[pagekite]]
name = "a"
pidfile = "/run/a.pid"
[[pagekite]]
name = "b"
pidfile = "/run/b.pid"
[[kite]]
name = "x.kite.test"
`, []string{"kite[0].pagekite: is required"}},
		{"unknown instance", `
[[pagekite]]
name = "a"
[[kite]]
name = "x.kite.test"
pagekite = "nope"
`, []string{`kite[0].pagekite: "nope" is not the name of a [[pagekite]]`}},
		{"same process twice", `
[[pagekite]]
name = "a"
[[pagekite]]
name = "b"
[[kite]]
name = "x.kite.test"
pagekite = "a"
`, []string{"pagekite[1]: finds its process like pagekite[0] (unit pagekite.service)"}},
		{"names", `
[[pagekite]]
name = ""
[[pagekite]]
name = "a b"
pidfile = "/run/1"
[[pagekite]]
name = "c"
kind = "pagekite.pl"
pidfile = "/run/2"
[[pagekite]]
name = "c"
pidfile = "/run/3"
`, []string{"pagekite[0].name: is required", `pagekite[1].name: "a b"`, "pagekite[2].kind", `pagekite[3].name: "c" is also the name of pagekite[2]`}},
		{"override checked under its own name, [restart] once", `
[restart]
signal = "SIGNOPE"
[[pagekite]]
name = "a"
method = "command"
`, []string{"restart.signal", "pagekite[0].command: is required"}},
		{"same rc_dir", `
[[pagekite]]
name = "a"
rc_dir = "/etc/pagekite.d"
pidfile = "/run/1"
[[pagekite]]
name = "b"
rc_dir = "/etc/pagekite.d"
pidfile = "/run/2"
`, []string{`pagekite[1].rc_dir: "/etc/pagekite.d" is also the rc_dir of pagekite[0]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse("t.toml", tt.toml)
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("parse() = %v, want *Errors", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("parse() errors:\n%s\nwant one with %q", msg, w)
				}
			}
			if tt.name == "override checked under its own name, [restart] once" && strings.Contains(msg, "pagekite[0].signal") {
				t.Errorf("parse() errors:\n%s\nwant the bad [restart].signal reported once, as restart.signal", msg)
			}
		})
	}
}
