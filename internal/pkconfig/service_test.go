package pkconfig

import (
	"errors"
	"reflect"
	"testing"
)

// TestServiceForms: the service_on forms of pagekite.py's ArgToBackendSpecs.
func TestServiceForms(t *testing.T) {
	tests := []struct {
		line        string
		want        []Kite
		wantProblem bool
	}{
		{line: "service_on = http:a.test:localhost:80:s", want: []Kite{{"a.test", []Service{{"http", 0, "localhost:80", 0}}}}},
		{line: "service_on=HTTP:A.Test:Host.Local:80", want: []Kite{{"a.test", []Service{{"http", 0, "host.local:80", 0}}}}},
		{line: "service_on = https:a.test:8443", want: []Kite{{"a.test", []Service{{"https", 0, "localhost:8443", 0}}}}},
		{line: "service_on = a.test:3000", want: []Kite{{"a.test", []Service{{"http", 0, "localhost:3000", 0}}}}},
		{line: "service_on = a.test:builtin", want: []Kite{{"a.test", []Service{{"http", 0, "builtin", 0}}}}},
		{line: "service_on = https:a.test", want: []Kite{{"a.test", []Service{{"https", 0, "localhost:443", 0}}}}},
		{line: "service_on = a.test", want: []Kite{{"a.test", []Service{{"http", 0, "localhost:80", 0}}}}},
		{line: "service_on = http://a.test:localhost:80", want: []Kite{{"a.test", []Service{{"http", 0, "localhost:80", 0}}}}},
		{line: "service_on = ssh:a.test", want: []Kite{{"a.test", []Service{{"raw-22", 22, "localhost:22", 22}}}}},
		{line: "service_on = raw/22,http:a.test:::x", want: []Kite{{"a.test", []Service{{"http", 0, "localhost:80", 0}}}}, wantProblem: true},
		{line: "service_on = raw-2222:a.test:10.0.0.1:22", want: []Kite{{"a.test", []Service{{"raw-2222", 2222, "10.0.0.1:22", 2222}}}}},
		// http/0 and http/ are pagekite.py's http (its ArgToBackendSpecs
		// keeps no port 0 and no empty port), served on the relay's every
		// port; raw/0 is a raw kite without a public port (discovery says
		// it cannot be probed).
		{line: "service_on = http/0:a.test:localhost:80:s", want: []Kite{{"a.test", []Service{{"http", 0, "localhost:80", 0}}}}},
		{line: "service_on = http/:a.test:localhost:80", want: []Kite{{"a.test", []Service{{"http", 0, "localhost:80", 0}}}}},
		{line: "service_on = https/0:a.test:localhost:443", want: []Kite{{"a.test", []Service{{"https", 0, "localhost:443", 0}}}}},
		{line: "service_on = raw/0:a.test:localhost:22", want: []Kite{{"a.test", []Service{{"raw", 0, "localhost:22", 0}}}}},
		{line: "service_on = http/0,http/8080:a.test:localhost:80", want: []Kite{{"a.test", []Service{{"http", 0, "localhost:80", 0}, {"http-8080", 8080, "localhost:80", 8080}}}}},
		{line: "service_on = http-x:a.test:localhost:80", wantProblem: true},
		{line: "service_on = http/-1:a.test:localhost:80", wantProblem: true},
		{line: "service_on = http:a.test:localhost:99999", wantProblem: true},
		{line: "service_on = http::localhost:80", wantProblem: true},
		{line: "service_off = http:a.test:localhost:80"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			path := t.TempDir() + "/x.rc"
			write(t, path, tt.line+"\n")
			got, err := ParseFile(path)
			var perr *Errors
			if gotProblem := errors.As(err, &perr); gotProblem != tt.wantProblem {
				t.Errorf("ParseFile(%q) error = %v, want problem %v", tt.line, err, tt.wantProblem)
			}
			if got == nil || !reflect.DeepEqual(got.Kites, tt.want) {
				t.Errorf("ParseFile(%q) = %+v, want kites %+v", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		want        []Kite
		wantSecrets []string
		wantProblem bool
	}{
		{
			name:        "long options",
			args:        []string{"--clean", "--frontend=127.0.0.1:2999", "--keepalive", "1800", "--service_on=http:foo.kite.test:127.0.0.1:28080:s3cret", "--pidfile", "/run/pk.pid"},
			want:        []Kite{{"foo.kite.test", []Service{{"http", 0, "127.0.0.1:28080", 0}}}},
			wantSecrets: []string{"s3cret"},
		},
		{
			name:        "kitename and kitesecret as separate arguments",
			args:        []string{"--kitename", "k.test", "--kitesecret", "ks", "--service_on", "ssh:@kitename:localhost:22:@kitesecret", "-Xpw", "-o", "/nonexistent/pk.rc"},
			want:        []Kite{{"k.test", []Service{{"raw-22", 22, "localhost:22", 22}}}},
			wantSecrets: []string{"ks", "pw"},
			wantProblem: true, // the missing optfile
		},
		{
			// What was written where a secret goes is one, though
			// pagekite.py ignores the spec (#30 item 1).
			name:        "secret with colons, and a secret option pagekite.py lacks",
			args:        []string{"--service_on=http:c.kite.test:localhost:80:Abc:def/1,2=3 4", "--fe_secret=x:y=z"},
			wantSecrets: []string{"Abc:def/1,2=3 4", "x:y=z"},
			wantProblem: true,
		},
		{
			name:        "quick-start spec",
			args:        []string{"80", "foo.pagekite.me"},
			wantProblem: true,
		},
		{
			name:        "unknown short option",
			args:        []string{"-q"},
			wantProblem: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseArgs(tt.args)
			var perr *Errors
			if gotProblem := errors.As(err, &perr); gotProblem != tt.wantProblem {
				t.Errorf("ParseArgs(%q) error = %v, want problem %v", tt.args, err, tt.wantProblem)
			}
			if !reflect.DeepEqual(got.Kites, tt.want) {
				t.Errorf("ParseArgs(%q).Kites = %+v, want %+v", tt.args, got.Kites, tt.want)
			}
			if !reflect.DeepEqual(got.Secrets, tt.wantSecrets) {
				t.Errorf("ParseArgs(%q).Secrets = %q, want %q", tt.args, got.Secrets, tt.wantSecrets)
			}
		})
	}
}
