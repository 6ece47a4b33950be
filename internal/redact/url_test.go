package redact

import (
	"strings"
	"testing"
)

// TestURL: a URL printed or logged loses its user information, query
// values and fragment, and keeps the rest (#30 item 3), whether or not it
// parses.
func TestURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://user:pass@host/path?key=k", "https://[REDACTED]@host/path?key=[REDACTED]"},
		{"https://host/p?a=1&b=&c#frag", "https://host/p?a=[REDACTED]&b=&[REDACTED]#[REDACTED]"},
		{"https://host:8443/p#", "https://host:8443/p#"},
		{"http://tok3n@[::1]:80/x", "http://[REDACTED]@[::1]:80/x"},
		{"https://user:pa/ss@host/x", "https://[REDACTED]@host/x"},                    // a password holding '/'
		{"https://u:p@ss@host/%zz?x=%zz", "https://[REDACTED]@host/%zz?x=[REDACTED]"}, // does not parse
		{"https://host:8080/a@b", "https://host:8080/a@b"},
		{"https://host/path@not-userinfo", "https://host/path@not-userinfo"},
		{"https://pagekite.net/cgi-bin/crashes.pl", "https://pagekite.net/cgi-bin/crashes.pl"},
		{"host/p?token=x", "host/p?token=[REDACTED]"},
		{"https://[REDACTED]@host/?key=[REDACTED]", "https://[REDACTED]@host/?key=[REDACTED]"},
	} {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestURLs: every URL quoted in a text (an error, a log line) is redacted
// by URL; the text around it stays.
func TestURLs(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`config reload rejected: report.url: upload url "https://[REDACTED]@h/path?key=k9": credentials in the URL are not allowed`,
			`config reload rejected: report.url: upload url "https://[REDACTED]@h/path?key=[REDACTED]": credentials in the URL are not allowed`},
		{"GET http://a.kite.test/x?q=1#f and ftp://u:p@c/ then mailto:x@y",
			"GET http://a.kite.test/x?q=[REDACTED]#[REDACTED] and ftp://[REDACTED]@c/ then mailto:x@y"},
		{"data=https://u:p@up.example/?h=x; next=1", "data=https://[REDACTED]@up.example/?h=[REDACTED]; next=1"},
		{"no url here: a://", "no url here: a://"},
	} {
		if got := URLs(tt.in); got != tt.want {
			t.Errorf("URLs(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
		if got := (*Redactor)(nil).Log(tt.in); got != tt.want {
			t.Errorf("Log(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
	if got := URLs(strings.Repeat("a://b@", 1000)); strings.Contains(got, "b@") {
		t.Errorf("URLs(repeated) kept user information")
	}
}

// TestURLSecrets: the parts of a URL that URL removes, as known secrets,
// save those too short to look for elsewhere.
func TestURLSecrets(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"https://user:pa55word@host/p?key=k3yvalue&x=1#fragment7", []string{"fragment7", "pa55word", "k3yvalue"}},
		{"https://ghp_T0KEN123@host/", []string{"ghp_T0KEN123"}},
		{"https://host/p", nil},
		{"", nil},
	} {
		if got := URLSecrets(tt.in); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("URLSecrets(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
