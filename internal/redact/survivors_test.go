package redact

import (
	"encoding/hex"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
)

// encoders are the forms a secret took in the text of #23's redaction
// survivors, written here with the standard library (not with variants,
// which they test).
var encoders = []struct {
	name string
	f    func(string) string
}{
	{"json \\/", func(s string) string { return strings.ReplaceAll(s, "/", `\/`) }},
	{"json \\u every char", func(s string) string { return each(s, `\u%04x`) }},
	{"json \\u every char, upper", func(s string) string { return each(s, `\u%04X`) }},
	{"percent twice (query)", func(s string) string { return url.QueryEscape(url.QueryEscape(s)) }},
	{"percent twice (every byte)", func(s string) string { return strings.ReplaceAll(each(s, "%%%02X"), "%", "%25") }},
	{"percent, / kept", func(s string) string { return strings.ReplaceAll(url.PathEscape(s), "%2F", "/") }},
	{"html entities", html.EscapeString},
	{"html numeric", func(s string) string { return each(s, "&#%d;") }},
	{"html hex", func(s string) string { return each(s, "&#x%x;") }},
	{"hex", func(s string) string { return hex.EncodeToString([]byte(s)) }},
	{"HEX", func(s string) string { return strings.ToUpper(hex.EncodeToString([]byte(s))) }},
	{"utf-16le", func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			b.WriteByte(s[i])
			b.WriteByte(0)
		}
		return b.String()
	}},
}

func each(s, format string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

// TestSurvivors: every shape that survived redaction in #23's attack is
// removed now.
func TestSurvivors(t *testing.T) {
	const secret = "k1te/S3cret+&<'x"
	r := New(Options{Secrets: []string{secret}, RedactIPs: true})
	for _, e := range encoders {
		enc := e.f(secret)
		in := "ts=1; GET=/x; detail=" + enc + " done"
		if got := r.String(in); strings.Contains(got, enc) {
			t.Errorf("%s: String(%q) = %q, kept it", e.name, in, got)
		}
	}
	for _, tt := range []struct{ name, in, gone string }{
		{"split across lines", "a line ending k1te/S3\ncret+&<'x starts the next", "cret+&<'x"},
		{"split across lines, first part", "a line ending k1te/S3\ncret+&<'x starts the next", "k1te/S3"},
		{"folded line", "a line ending k1te/S3cr\n\tet+&<'x folded", "et+&<'x"},
		{"cut at the line limit", "a long line cut at k1te/S3c", "k1te/S3c"},
		{"bearer:TOKEN", "auth bearer:abcdEFGH1234xyz", "abcdEFGH1234xyz"},
		{"bearer=TOKEN", "bearer=abcdEFGH1234xyz", "abcdEFGH1234xyz"},
		{"folded Basic", "Authorization: Basic\r\n\tdXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="},
		{"MAC", "wlan0 00:1a:2b:3c:4d:5e", "00:1a:2b:3c:4d:5e"},
		{"URL-encoded IPv6", "peer=%5B2001%3Adb8%3A%3A1%5D", "2001%3Adb8"},
	} {
		if got := r.String(tt.in); strings.Contains(got, tt.gone) {
			t.Errorf("%s: String(%q) = %q, kept %q", tt.name, tt.in, got, tt.gone)
		}
	}
	// Ordinary text stays.
	for _, in := range []string{"a line ending in k1", "version=1.5.2; 12:34:56", "relay 127.0.0.1:443 hostname"} {
		if got := New(Options{Secrets: []string{secret}}).String(in); got != in {
			t.Errorf("String(%q) = %q, want it unchanged", in, got)
		}
	}
}
