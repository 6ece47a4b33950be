package discover

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
)

func TestInstancesFromPagekiteTables(t *testing.T) {
	dir := t.TempDir()
	rc := filepath.Join(dir, "main.d")
	if err := os.MkdirAll(rc, 0o755); err != nil {
		t.Fatal(err)
	}
	writeRC(t, rc, "10_account.rc", "kitename = d.kite.test\nkitesecret = s3cret\nservice_on = http:@kitename:localhost:80:@kitesecret\nservice_on = raw/22:e.kite.test:localhost:22:@kitesecret\n")
	cfg, err := config.Load(writeConfig(t, `
[restart]
kill_timeout = "7s"
[report]
log_file = "/var/log/default.log"
[[pagekite]]
name = "main"
kind = "pagekite.py"
rc_dir = "`+rc+`"
pidfile = "/run/main.pid"
[[pagekite]]
name = "other"
kind = "pagekitec"
method = "systemd"
unit = "pagekitec.service"
journal_unit = "pagekitec.service"
kill_timeout = "3s"
dry_run = true
[[kite]]
name = "x.kite.test"
pagekite = "other"
`))
	if err != nil {
		t.Fatalf("config.Load() = %v", err)
	}
	ins, err := Instances(nil, cfg, standIn())
	if err != nil {
		t.Fatalf("Instances() = %v", err)
	}
	if len(ins) != 2 {
		t.Fatalf("Instances() = %d, want 2", len(ins))
	}
	m, o := ins[0], ins[1]
	if m.Name != "main" || !m.Discovered || len(m.Targets) != 2 || m.Restart.PIDFile != "/run/main.pid" ||
		m.Restart.KillTimeout.Duration.String() != "7s" || m.LogFile != "/var/log/default.log" || m.Restart.DryRun {
		t.Errorf("main = %+v, want 2 kites discovered in its rc_dir, its pid file, [restart]'s kill_timeout and [report]'s log", m)
	}
	if o.Name != "other" || o.Discovered || len(o.Targets) != 1 || o.Targets[0].Name != "x.kite.test" ||
		o.Restart.Method != "systemd" || o.Restart.KillTimeout.Duration.String() != "3s" || !o.Restart.DryRun ||
		o.JournalUnit != "pagekitec.service" || o.Kind != pagekite.C {
		t.Errorf("other = %+v, want its [[kite]], its own method, kill_timeout, dry_run and journal", o)
	}
	secrets := strings.Join(Secrets(cfg, standIn()), ",")
	if !strings.Contains(secrets, "s3cret") {
		t.Errorf("Secrets() = %q, want the secret of main's rc_dir", secrets)
	}
}
