package discover

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// TestPublicPortZeroAndSkippedKites (#31): pagekitec as libpagekite's
// README starts it (PPORT 0: the protocol's default) is watched, and a
// kite of a command line or rc file is never dropped without a warning
// that names it and the reason, in the log and, when no kite is left, in
// the error.
func TestPublicPortZeroAndSkippedKites(t *testing.T) {
	tests := []struct {
		name string
		argv string // a running pagekitec's command line, or
		rc   string // pagekite.py's rc file, or
		uci  string // OpenWrt's /etc/config/pagekitec
		want []probe.Target
		// skipped: the kites a warning names, each with a word of its
		// reason; when want is empty, the error says them too.
		skipped map[string]string
	}{
		{
			name: "libpagekite's README",
			argv: "pagekitec 80 http yourkite.kite.test 0 kitesecret",
			want: []probe.Target{{Name: "yourkite.kite.test", Kind: probe.KindHTTP, URL: "http://yourkite.kite.test/"}},
		},
		{
			// A kite registered without a port is served on each of the
			// relay's ports: the port pagekitec flies to is one.
			name: "port 0 through -F/-P, with a second kite",
			argv: "pagekitec -F 127.0.0.1 -P 8081 80 http www.kite.test 0 s 22 raw ssh.kite.test 22 s 443 https tls.kite.test 0 s",
			want: []probe.Target{
				{Name: "www.kite.test", Kind: probe.KindHTTP, URL: "http://www.kite.test/", ConnectTo: "127.0.0.1:8081", Via: "-F/-P of pagekitec"},
				{Name: "ssh.kite.test", Kind: probe.KindRaw, Port: 22, ConnectTo: "127.0.0.1:8081", Via: "-F/-P of pagekitec"},
				{Name: "tls.kite.test", Kind: probe.KindHTTP, URL: "http://tls.kite.test/", HTTPSOnly: true, ConnectTo: "127.0.0.1:8081", Via: "-F/-P of pagekitec"},
			},
		},
		{
			name:    "a raw kite on port 0 beside a web kite",
			argv:    "pagekitec 80 http www.kite.test 0 s 22 raw ssh.kite.test 0 s",
			want:    []probe.Target{{Name: "www.kite.test", Kind: probe.KindHTTP, URL: "http://www.kite.test/"}},
			skipped: map[string]string{"ssh.kite.test": "port 0"},
		},
		{
			name:    "a raw kite on port 0 alone",
			argv:    "pagekitec 22 raw ssh.kite.test 0 s",
			skipped: map[string]string{"ssh.kite.test": "port 0"},
		},
		{
			name:    "an unknown protocol, a bad port and a name that is no host name",
			argv:    "pagekitec 70 gopher g.kite.test 0 s 80 http p.kite.test 99999 s 80 http a..kite.test 0 s 80 http www.kite.test 80 s",
			want:    []probe.Target{{Name: "www.kite.test", Kind: probe.KindHTTP, URL: "http://www.kite.test/"}},
			skipped: map[string]string{"g.kite.test": "gopher", "p.kite.test": "port numbers", "a..kite.test": "host name"},
		},
		{
			name: "pagekite.py: http/0 and http/",
			rc:   "service_on = http/0:a.kite.test:localhost:80:s\nservice_on = https/:b.kite.test:localhost:443:s\n",
			want: []probe.Target{
				{Name: "a.kite.test", Kind: probe.KindHTTP, URL: "http://a.kite.test/"},
				{Name: "b.kite.test", Kind: probe.KindHTTP, URL: "http://b.kite.test/", HTTPSOnly: true},
			},
		},
		{
			name:    "pagekite.py: raw/0 and a raw kite without a port beside a web kite",
			rc:      "service_on = raw/0:r0.kite.test:localhost:22:s\nservice_on = raw:r.kite.test:localhost:22:s\nservice_on = xmpp:x.kite.test:localhost:5222:s\nservice_on = http:www.kite.test:localhost:80:s\n",
			want:    []probe.Target{{Name: "www.kite.test", Kind: probe.KindHTTP, URL: "http://www.kite.test/"}},
			skipped: map[string]string{"r0.kite.test": "public port", "r.kite.test": "public port", "x.kite.test": "xmpp"},
		},
		{
			name:    "pagekite.py: a raw kite without a port alone",
			rc:      "service_on = raw:r.kite.test:localhost:22:s\n",
			skipped: map[string]string{"r.kite.test": "public port"},
		},
		{
			// OpenWrt's init script gives PPORT 80 and 443, never 0:
			// what it can get wrong is the name.
			name: "UCI",
			uci:  "config pagekitec 'pagekitec'\n\toption kitename 'router.kite.test'\n\toption kitesecret 'kitesecret'\n\toption simple_http '1'\n\toption simple_ssh '1'\n",
			want: []probe.Target{{Name: "router.kite.test", Kind: probe.KindHTTP, URL: "http://router.kite.test/"}},
		},
		{
			name:    "UCI: a kitename that is no host name",
			uci:     "config pagekitec 'pagekitec'\n\toption kitename 'router..kite.test'\n\toption kitesecret 'kitesecret'\n\toption simple_http '1'\n",
			skipped: map[string]string{"router..kite.test": "host name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c := config.Default()
			c.Discovery.PagekiteDir = filepath.Join(dir, "no-pagekite.d")
			c.Discovery.UCIFile = ""
			p := config.Pagekite{Name: "pk", Kind: pagekite.C}
			var env Env
			switch {
			case tt.rc != "":
				p.Kind, p.RCDir = pagekite.Py, dir
				writeRC(t, dir, "80_kites.rc", tt.rc)
				env = standIn()
			case tt.uci != "":
				c.Discovery.UCIFile = filepath.Join(dir, "pagekitec")
				writeRC(t, dir, "pagekitec", tt.uci)
				env = standIn()
			default:
				env = standIn(strings.Fields(tt.argv))
			}
			c.Pagekites = []config.Pagekite{p}
			obs, logs := observer.New(zapcore.WarnLevel)
			ins, err := Instances(zap.New(obs), &c, env)
			var warned strings.Builder
			for _, e := range logs.All() {
				warned.WriteString(e.Message)
				for _, f := range e.Context {
					warned.WriteString(" " + f.Key + "=" + f.String)
					if f.Interface != nil {
						if err, ok := f.Interface.(error); ok {
							warned.WriteString(" " + f.Key + "=" + err.Error())
						}
					}
				}
				warned.WriteString("\n")
			}
			for kite, why := range tt.skipped {
				if !strings.Contains(warned.String(), kite) || !strings.Contains(warned.String(), why) {
					t.Errorf("Instances(%s%s) warned %q, want a warning naming %s and %q", tt.argv+tt.uci, tt.rc, warned.String(), kite, why)
				}
				if len(tt.want) == 0 && (err == nil || !strings.Contains(err.Error(), kite) || !strings.Contains(err.Error(), why)) {
					t.Errorf("Instances(%s%s) error = %v, want one naming %s and %q", tt.argv+tt.uci, tt.rc, err, kite, why)
				}
			}
			if len(tt.skipped) == 0 && warned.Len() > 0 {
				t.Errorf("Instances(%s%s) warned %q, want no warning", tt.argv+tt.uci, tt.rc, warned.String())
			}
			if len(tt.want) == 0 {
				if !errors.Is(err, ErrNoKites) {
					t.Errorf("Instances(%s%s) error = %v, want ErrNoKites", tt.argv+tt.uci, tt.rc, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Instances(%s%s) error = %v", tt.argv+tt.uci, tt.rc, err)
			}
			if got := ins[0].Targets; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Instances(%s%s) targets = %+v, want %+v", tt.argv+tt.uci, tt.rc, got, tt.want)
			}
			if strings.Contains(warned.String()+errString(err), "kitesecret") {
				t.Errorf("a warning or the error holds the secret: %q", warned.String())
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
