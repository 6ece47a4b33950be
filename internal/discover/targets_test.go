package discover

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

func TestTargetsFromKites(t *testing.T) {
	path := writeConfig(t, `
[discovery]
pagekite_dir = "testdata/stock" # not used: [[kite]] entries win
[[kite]]
name = "foo.pagekite.me"
connect_to = "127.0.0.1:2999"
[[kite]]
name = "ssh.pagekite.me"
kind = "raw"
port = 22
`)
	c, err := config.Load(path)
	if err != nil {
		t.Fatalf("config.Load() error = %v", err)
	}
	got, err := targets(c, zap.NewNop())
	if err != nil {
		t.Fatalf("Targets() error = %v", err)
	}
	want := []probe.Target{
		{Name: "foo.pagekite.me", Kind: probe.KindHTTP, URL: "http://foo.pagekite.me/", ConnectTo: "127.0.0.1:2999"},
		{Name: "ssh.pagekite.me", Kind: probe.KindRaw, Port: 22},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Targets() = %+v, want %+v", got, want)
	}
}

func TestTargetsDiscovery(t *testing.T) {
	tests := []struct {
		dir     string
		want    []probe.Target
		wantErr error
	}{
		{
			dir: "discover",
			want: []probe.Target{
				{Name: "web.example.net", Kind: probe.KindHTTP, URL: "http://web.example.net/"},
				{Name: "shell.example.net", Kind: probe.KindRaw, Port: 22},
				{Name: "ws.example.net", Kind: probe.KindHTTP, URL: "http://ws.example.net/"},
				{Name: "alt.example.net", Kind: probe.KindHTTP, URL: "http://alt.example.net:8080/"},
				{Name: "tls.example.net", Kind: probe.KindHTTP, URL: "http://tls.example.net:8443/", HTTPSOnly: true},
			},
		},
		{dir: "stock", wantErr: ErrNotConfigured},
		{dir: "norc", wantErr: ErrNoKites},
		{dir: "missing", wantErr: fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			c := config.Default()
			c.Discovery.PagekiteDir = filepath.Join("testdata", tt.dir)
			got, err := targets(&c, zap.NewNop())
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Targets(%s) error = %v, want %v", tt.dir, err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Targets(%s) = %+v, want %+v", tt.dir, got, tt.want)
			}
		})
	}
}

// TestTargetsDiscoveryBadLines: a bad rc line is logged (without the
// secrets) and the good kites are still watched.
func TestTargetsDiscoveryBadLines(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	c := config.Default()
	c.Discovery.PagekiteDir = filepath.Join("testdata", "bad-rc")
	got, err := targets(&c, zap.New(core))
	if err != nil {
		t.Fatalf("Targets(bad-rc) error = %v, want nil", err)
	}
	want := []probe.Target{{Name: "good.example.net", Kind: probe.KindHTTP, URL: "http://good.example.net/"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Targets(bad-rc) = %+v, want %+v", got, want)
	}
	entries := logs.All()
	if len(entries) != 1 {
		t.Fatalf("Targets(bad-rc) logged %d warnings, want 1", len(entries))
	}
	text := entries[0].Message
	for k, v := range entries[0].ContextMap() {
		text += " " + k + "=" + strings.TrimSpace(fmtAny(v))
	}
	if !strings.Contains(text, "10_account.rc:4") {
		t.Errorf("warning %q does not name the bad line 10_account.rc:4", text)
	}
	for _, secret := range []string{"bad-rc-s3cret", "s3cret:with", "colons"} {
		if strings.Contains(text, secret) {
			t.Errorf("warning %q contains secret %q", text, secret)
		}
	}
}

func fmtAny(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if e, ok := v.(error); ok {
		return e.Error()
	}
	return ""
}

func TestSecrets(t *testing.T) {
	tests := []struct {
		dir  string
		want []string
	}{
		{dir: "discover", want: []string{"discover-s3cret", "shell-s3cret", "off-s3cret"}},
		{dir: "stock", want: []string{"YOURSECRET"}},
		{dir: "bad-rc", want: []string{"bad-rc-s3cret", "bad:s3cret:with:colons"}}, // a spec pagekite.py ignores has a secret all the same
		{dir: "missing", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			c := config.Default()
			c.Discovery.PagekiteDir = filepath.Join("testdata", tt.dir)
			c.Kites = []config.Kite{{Name: "explicit.example", Kind: probe.KindHTTP, URL: "http://explicit.example/"}}
			if got := Secrets(&c, standIn()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Secrets(%s) = %q, want %q", tt.dir, got, tt.want)
			}
		})
	}
}

// TestTargetsFromCode: a Config built in code (not loaded) gets the kite
// defaults too.
func TestTargetsFromCode(t *testing.T) {
	c := config.Default()
	c.Kites = []config.Kite{{Name: "code.example"}}
	got, err := targets(&c, nil)
	want := []probe.Target{{Name: "code.example", Kind: probe.KindHTTP, URL: "http://code.example/"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Targets() = %+v, %v; want %+v", got, err, want)
	}
	if c.Kites[0].Kind != "" {
		t.Errorf("Targets() changed c.Kites[0].Kind to %q", c.Kites[0].Kind)
	}
}

// TestDiscoveryRelay: discovered kites are probed through the relay the
// rc files name (a single frontend, or a frontends pool of one); with
// defaults or a pool of several, through the kite's name. HTTPS-only
// kites go over plain HTTP unless discovery.tls_probe is set.
func TestDiscoveryRelay(t *testing.T) {
	tests := []struct {
		name     string
		rc       string
		tlsProbe bool
		want     []probe.Target
	}{
		{
			name: "frontend on another port",
			rc:   "frontend = 127.0.0.1 : 8081\nservice_on = http:a.kite.test:localhost:80:s\nservice_on = raw/22:b.kite.test:localhost:22:s\n",
			want: []probe.Target{
				{Name: "a.kite.test", Kind: probe.KindHTTP, URL: "http://a.kite.test/", ConnectTo: "127.0.0.1:8081", Via: "frontend = 127.0.0.1:8081"},
				{Name: "b.kite.test", Kind: probe.KindRaw, Port: 22, ConnectTo: "127.0.0.1:8081", Via: "frontend = 127.0.0.1:8081"},
			},
		},
		{
			name: "a pool of one",
			rc:   "frontends = 1:relay.example.net:443\nservice_on = http:a.kite.test:localhost:80:s\n",
			want: []probe.Target{{Name: "a.kite.test", Kind: probe.KindHTTP, URL: "http://a.kite.test/", ConnectTo: "relay.example.net:443", Via: "frontends = 1:relay.example.net:443"}},
		},
		{
			name: "defaults: the kite's name",
			rc:   "defaults\nservice_on = http:a.kite.test:localhost:80:s\n",
			want: []probe.Target{{Name: "a.kite.test", Kind: probe.KindHTTP, URL: "http://a.kite.test/"}},
		},
		{
			name: "two relays: the kite's name",
			rc:   "frontend = r1.example.net:443\nfrontend = r2.example.net:443\nservice_on = http:a.kite.test:localhost:80:s\n",
			want: []probe.Target{{Name: "a.kite.test", Kind: probe.KindHTTP, URL: "http://a.kite.test/"}},
		},
		{
			name: "a pool of two: the kite's name",
			rc:   "frontends = 2:relays.example.net:443\nservice_on = http:a.kite.test:localhost:80:s\n",
			want: []probe.Target{{Name: "a.kite.test", Kind: probe.KindHTTP, URL: "http://a.kite.test/"}},
		},
		{
			name: "https only, plain HTTP",
			rc:   "service_on = https:a.kite.test:localhost:443:s\n",
			want: []probe.Target{{Name: "a.kite.test", Kind: probe.KindHTTP, URL: "http://a.kite.test/", HTTPSOnly: true}},
		},
		{
			name: "https only, tls_probe", tlsProbe: true,
			rc:   "service_on = https:a.kite.test:localhost:443:s\n",
			want: []probe.Target{{Name: "a.kite.test", Kind: probe.KindHTTP, URL: "https://a.kite.test/"}},
		},
		{
			name: "http and https: plain HTTP, even with tls_probe", tlsProbe: true,
			rc:   "service_on = https:a.kite.test:localhost:443:s\nservice_on = http:a.kite.test:localhost:80:s\n",
			want: []probe.Target{{Name: "a.kite.test", Kind: probe.KindHTTP, URL: "http://a.kite.test/"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "10_kites.rc"), []byte(tt.rc), 0o600); err != nil {
				t.Fatal(err)
			}
			c := config.Default()
			c.Discovery.PagekiteDir = dir
			c.Discovery.TLSProbe = tt.tlsProbe
			got, err := targets(&c, zap.NewNop())
			if err != nil {
				t.Fatalf("Targets() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Targets() = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestDiscoveryBadNames: kites whose names are not host names are skipped
// with a warning; the others are watched.
func TestDiscoveryBadNames(t *testing.T) {
	dir := t.TempDir()
	rc := "service_on = http:bad!name.kite.test:localhost:80:s\nservice_on = http:a..b.kite.test:localhost:80:s\nservice_on = http:good.kite.test:localhost:80:s\n"
	if err := os.WriteFile(filepath.Join(dir, "10.rc"), []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.WarnLevel)
	c := config.Default()
	c.Discovery.PagekiteDir = dir
	got, err := targets(&c, zap.New(core))
	if err != nil || len(got) != 1 || got[0].Name != "good.kite.test" {
		t.Fatalf("Targets() = %+v, %v; want good.kite.test only", got, err)
	}
	if n := logs.FilterMessageSnippet("not a host name").Len(); n != 2 {
		t.Errorf("%d warnings about bad names, want 2: %v", n, logs.All())
	}
}

// targets returns every kite of every instance (see Instances), in
// instance order, on a machine where no pagekitec runs.
func targets(c *config.Config, log *zap.Logger) ([]probe.Target, error) {
	ins, err := Instances(log, c, standIn())
	if err != nil {
		return nil, err
	}
	var out []probe.Target
	for _, in := range ins {
		out = append(out, in.Targets...)
	}
	return out, nil
}
