package discover

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// standIn is a machine on which these pagekitec processes run (argv with
// the program name) and only logread is on PATH: the real pagekitec is
// not installable here; cmd/pkwatchdogd's tests run a real process
// shaped like one.
func standIn(argvs ...[]string) Env {
	return Env{
		Pagekitec: func(string) ([]action.Process, []error, error) {
			var out []action.Process
			for i, a := range argvs {
				out = append(out, action.Process{PID: 1000 + i, Cmdline: a})
			}
			return out, nil, nil
		},
		LookPath: func(name string) (string, error) {
			if name == "logread" {
				return "/sbin/logread", nil
			}
			return "", errors.New("not here")
		},
	}
}

func TestDiscoverPagekitec(t *testing.T) {
	dir := t.TempDir()
	uci := filepath.Join(dir, "pagekitec")
	if err := os.WriteFile(uci, []byte("config pagekitec 'pagekitec'\n\toption kitename 'uci.kite.test'\n\toption kitesecret 'uci-s3cret'\n\toption simple_http '1'\n\toption simple_ssh '1'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	argv := strings.Fields("/usr/bin/pagekitec -s -F 127.0.0.1 -P 8081 -Y text:/run/pkc.status 80 http a.kite.test 80 argv-s3cret 22 raw b.kite.test 22 argv-s3cret")
	tests := []struct {
		name      string
		procs     [][]string
		kind      pagekite.Kind
		uci       string
		want      []probe.Target
		from      string
		status    string
		wantErr   string
		noSecrets bool
	}{
		{
			name: "a running pagekitec, kind left out (no rc files)", procs: [][]string{argv}, uci: uci,
			want: []probe.Target{
				{Name: "a.kite.test", Kind: probe.KindHTTP, URL: "http://a.kite.test/", ConnectTo: "127.0.0.1:80", Via: "-F/-P of pagekitec, on the kite's public port 80"},
				{Name: "b.kite.test", Kind: probe.KindRaw, Port: 22, ConnectTo: "127.0.0.1:8081", Via: "-F/-P of pagekitec"},
			},
			from: "pagekitec's command line (pid 1000)", status: "/run/pkc.status",
		},
		{
			name: "not running: the UCI file", kind: pagekite.C, uci: uci,
			want: []probe.Target{{Name: "uci.kite.test", Kind: probe.KindHTTP, URL: "http://uci.kite.test/"}},
			from: "UCI file " + uci,
		},
		{
			name: "two running", kind: pagekite.C, procs: [][]string{argv, argv}, uci: uci,
			wantErr: "several pagekitec processes run (pids 1000, 1001)",
		},
		{
			name: "nothing anywhere", uci: filepath.Join(dir, "missing"),
			wantErr: "no pagekite.py rc files",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := standIn(tt.procs...)
			c := config.Default()
			c.Discovery.PagekiteDir = filepath.Join(dir, "no-pagekite.d")
			c.Discovery.UCIFile = tt.uci
			c.Pagekites = []config.Pagekite{{Name: "router", Kind: tt.kind}}
			ins, err := Instances(zap.NewNop(), &c, env)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrNoKites) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Instances() error = %v, want %q", err, tt.wantErr)
				}
				if tt.name == "nothing anywhere" {
					for _, what := range []string{"no-pagekite.d", "no pagekitec runs", "no UCI file", "[[kite]]"} {
						if !strings.Contains(err.Error(), what) {
							t.Errorf("the error does not say %q: %v", what, err)
						}
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Instances() error = %v", err)
			}
			in := ins[0]
			if len(tt.procs) > 0 && strings.Join(in.LogCommand, " ") != "logread -e pagekitec" {
				t.Errorf("a pagekitec with -s: log command %q, want logread -e pagekitec", in.LogCommand)
			}
			if !reflect.DeepEqual(in.Targets, tt.want) || in.Kind != pagekite.C || in.From != tt.from || in.StatusFile != tt.status {
				t.Errorf("Instances() = kind %q from %q status %q targets %+v\nwant from %q status %q targets %+v",
					in.Kind, in.From, in.StatusFile, in.Targets, tt.from, tt.status, tt.want)
			}
			secrets := strings.Join(Secrets(&c, env), " ")
			if !strings.Contains(secrets, "uci-s3cret") || (len(tt.procs) > 0 && !strings.Contains(secrets, "argv-s3cret")) {
				t.Errorf("Secrets() = %q, want the UCI and argv secrets", secrets)
			}
		})
	}
}
