package redact

import (
	"strings"
	"testing"
)

// TestLog: a log line loses the secrets the redactor knows, those it
// reveals through PageKite's options, and URL credentials; it keeps
// addresses, names and paths.
func TestLog(t *testing.T) {
	r := New(Options{Secrets: []string{"pkc-s3cret"}, RedactIPs: true})
	for _, tt := range []struct{ in, want string }{
		{"cmdline=/usr/bin/pagekitec -F 127.0.0.1 80 http a.kite.test 80 pkc-s3cret",
			"cmdline=/usr/bin/pagekitec -F 127.0.0.1 80 http a.kite.test 80 [REDACTED]"},
		{"/usr/bin/pagekite --service_on=http:a.kite.test:127.0.0.1:80:argv-s3cret --frontend=127.0.0.1:443",
			"/usr/bin/pagekite --service_on=http:a.kite.test:127.0.0.1:80:[REDACTED] --frontend=127.0.0.1:443"},
		{"/usr/bin/pagekite --kitesecret othersecret --clean", "/usr/bin/pagekite --kitesecret [REDACTED] --clean"},
		{`upload: Post "https://alice:wonder@pagekite.net/cgi-bin/crashes.pl": refused`,
			`upload: Post "https://[REDACTED]@pagekite.net/cgi-bin/crashes.pl": refused`},
		{"dial http://u@10.0.0.1:80/x and ftp://a:b@c/ then mailto:x@y", "dial http://[REDACTED]@10.0.0.1:80/x and ftp://[REDACTED]@c/ then mailto:x@y"},
		{"relay 127.0.0.1:29555 says Down-FE for a.kite.test", "relay 127.0.0.1:29555 says Down-FE for a.kite.test"},
		{"https://host/path@not-userinfo", "https://host/path@not-userinfo"},
	} {
		if got := r.Log(tt.in); got != tt.want {
			t.Errorf("Log(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
	var none *Redactor
	if got := none.Log("--service_on=http:a:127.0.0.1:80:zz-secret"); strings.Contains(got, "zz-secret") {
		t.Errorf("nil Log kept the argv secret: %q", got)
	}
}
