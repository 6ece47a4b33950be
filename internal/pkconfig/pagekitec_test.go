package pkconfig

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Command lines in the shape pagekitec (libpagekite 0.91) takes; the real
// pagekitec is not installable here (not packaged by Debian).
func TestParsePagekitec(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    Pagekitec
		problem string
	}{
		{
			name: "the reference's example",
			args: "-Y json:/var/run/pagekitec.status 80 http foo.pagekite.me 80 SECRET 22 raw foo.pagekite.me 443 SECRET",
			want: Pagekitec{
				Kites: []Kite{{Name: "foo.pagekite.me", Services: []Service{
					{Proto: "http", Backend: "localhost:80", PublicPort: 80},
					{Proto: "raw-443", Port: 443, Backend: "localhost:22", PublicPort: 443},
				}}},
				Secrets: []string{"SECRET", "SECRET"}, StatusFile: "/var/run/pagekitec.status", StatusFormat: "json",
			},
		},
		{
			name: "relay, port, syslog, text status, several kites",
			args: "-s -F relay.example.net -P 8443 -Ytext:/tmp/st 8080 http a.example.net 8080 s1 22 raw b.example.net 22 s2",
			want: Pagekitec{
				Kites: []Kite{
					{Name: "a.example.net", Services: []Service{{Proto: "http-8080", Port: 8080, Backend: "localhost:8080", PublicPort: 8080}}},
					{Name: "b.example.net", Services: []Service{{Proto: "raw-22", Port: 22, Backend: "localhost:22", PublicPort: 22}}},
				},
				Secrets: []string{"s1", "s2"}, Relay: "relay.example.net:8443", StatusFile: "/tmp/st", StatusFormat: "text", Syslog: true,
			},
		},
		{
			name: "clustered flags, white-label, -F with the default port",
			args: "-WsI -w example.org -Frelay.example.org 443 https c.example.org 443 s3",
			want: Pagekitec{
				Kites:   []Kite{{Name: "c.example.org", Services: []Service{{Proto: "https", Backend: "localhost:443", PublicPort: 443}}}},
				Secrets: []string{"s3"}, Relay: "relay.example.org:443", Syslog: true, Whitelabel: "example.org",
			},
		},
		{
			// libpagekite's README: PPORT 0 is the protocol's default,
			// and pagekitec registers the kite without a port, so the
			// relay serves it on each of its ports.
			name: "libpagekite's README: public port 0",
			args: "80 http yourkite.pagekite.me 0 kitesecret",
			want: Pagekitec{
				Kites:   []Kite{{Name: "yourkite.pagekite.me", Services: []Service{{Proto: "http", Backend: "localhost:80"}}}},
				Secrets: []string{"kitesecret"},
			},
		},
		{
			name: "public port 0 for https and websocket, and a port named in the protocol",
			args: "-F relay.example.net 443 https a.example.net 0 s1 8080 websocket b.example.net 0 s2 8080 http-8080 c.example.net 0 s3 22 raw-2222 d.example.net 0 s4 80 HTTP-80 e.example.net 0 s5",
			want: Pagekitec{
				Kites: []Kite{
					{Name: "a.example.net", Services: []Service{{Proto: "https", Backend: "localhost:443"}}},
					{Name: "b.example.net", Services: []Service{{Proto: "websocket", Backend: "localhost:8080"}}},
					{Name: "c.example.net", Services: []Service{{Proto: "http-8080", Port: 8080, Backend: "localhost:8080", PublicPort: 8080}}},
					{Name: "d.example.net", Services: []Service{{Proto: "raw-2222", Port: 2222, Backend: "localhost:22", PublicPort: 2222}}},
					{Name: "e.example.net", Services: []Service{{Proto: "http", Backend: "localhost:80", PublicPort: 80}}},
				},
				Secrets: []string{"s1", "s2", "s3", "s4", "s5"}, Relay: "relay.example.net:443",
			},
		},
		{
			name: "a raw kite on public port 0", args: "80 http a.example.net 0 s 22 raw b.example.net 0 s",
			problem: `kite "b.example.net": a raw kite on public port 0 cannot be probed`,
		},
		{
			name: "a port in the protocol and in PPORT", args: "80 http-8080 a.example.net 80 s",
			problem: `kite "a.example.net": protocol "http-8080" names a public port and PPORT is 80`,
		},
		{
			name: "unknown protocol", args: "80 gopher a.example.net 0 s",
			problem: `kite "a.example.net": unknown protocol "gopher"; not watched`,
		},
		{
			name: "negative public port", args: "80 http a.example.net -1 s",
			problem: `kite "a.example.net": LPORT and PPORT must be port numbers`,
		},
		{
			name: "missing secret", args: "80 http a.example.net 80",
			problem: "groups of five",
		},
		{
			name: "bad port", args: "x http a.example.net 80 s",
			problem: "port numbers",
		},
		{
			name: "unknown option", args: "-X 80 http a.example.net 80 s",
			problem: "unknown option -X",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePagekitec(strings.Fields(tt.args))
			if tt.problem != "" {
				var perr *Errors
				if !errors.As(err, &perr) || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("ParsePagekitec(%s) error = %v, want a problem with %q", tt.args, err, tt.problem)
				}
				for _, s := range []string{"s", "s3cret"} {
					if strings.Contains(err.Error(), " "+s+" ") {
						t.Errorf("problem %q holds the secret", err)
					}
				}
				return
			}
			if err != nil || !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("ParsePagekitec(%s) =\n%+v, %v\nwant %+v", tt.args, *got, err, tt.want)
			}
		})
	}
}

func TestParseUCI(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	both := write("both", `
# OpenWrt's /etc/config/pagekitec
config pagekitec 'pagekitec'
	option kitename 'foo.pagekite.me'
	option kitesecret 'uci-s3cret'
	option simple_http '1'
	option simple_ssh "1"

config other 'x'
	option kitename 'not.this.one'
`)
	got, err := ParseUCI(both)
	want := Pagekitec{
		Kites: []Kite{{Name: "foo.pagekite.me", Services: []Service{
			{Proto: "http", Backend: "localhost:80", PublicPort: 80},
			{Proto: "raw-443", Port: 443, Backend: "localhost:22", PublicPort: 443},
		}}},
		Secrets: []string{"uci-s3cret", "uci-s3cret"},
	}
	if err != nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("ParseUCI(both) = %+v, %v; want %+v", *got, err, want)
	}
	none := write("none", "config pagekitec 'pagekitec'\n\toption kitename 'foo.pagekite.me'\n\toption simple_http '0'\n")
	if got, err := ParseUCI(none); err != nil || len(got.Kites) != 0 {
		t.Errorf("ParseUCI(none) = %+v, %v; want no kites", got, err)
	}
	noname := write("noname", "config pagekitec 'pagekitec'\n\toption kitesecret 'x'\n\toption simple_http '1'\n")
	if _, err := ParseUCI(noname); err == nil || !strings.Contains(err.Error(), "kitename") {
		t.Errorf("ParseUCI(no kitename) error = %v, want one about kitename", err)
	}
	if _, err := ParseUCI(filepath.Join(dir, "missing")); err == nil {
		t.Error("ParseUCI(missing) = nil error")
	}
}
