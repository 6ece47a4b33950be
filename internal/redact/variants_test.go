package redact

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestSecretVariantsBeyondTheIssue: shapes #30 did not name, tried at its
// review (a secret with ':', '/', '=' and ',' percent-encoded twice inside
// JSON, in upper case, as hex HTML entities, as \\u escapes throughout, as
// a C octal escape, in base64 and base64url, with lower-case percent hex,
// split over two lines): none survives.
func TestSecretVariantsBeyondTheIssue(t *testing.T) {
	sec := "Abc:def/123=x,y"
	r := New(Options{Secrets: []string{sec}, RedactIPs: true})
	shapes := map[string]string{
		"double-pct-in-json": fmt.Sprintf(`{"q":"%s"}`, url.QueryEscape(url.QueryEscape(sec))),
		"upper":              "ts=1; secret " + strings.ToUpper(sec),
		"html-hex":           "x=" + strings.ReplaceAll(sec, ":", "&#x3a;"),
		"unicode-escape-all": "v=" + func() string {
			var b strings.Builder
			for _, c := range sec {
				fmt.Fprintf(&b, `\u%04x`, c)
			}
			return b.String()
		}(),
		"octal-c":        "v=" + strings.ReplaceAll(sec, "/", `\057`),
		"b64":            "auth " + base64.StdEncoding.EncodeToString([]byte(sec)),
		"b64url":         "auth " + base64.URLEncoding.EncodeToString([]byte(sec)),
		"mixed-case-pct": "u=" + strings.ReplaceAll(url.QueryEscape(sec), "%3A", "%3a"),
		"split-lines":    "part " + sec[:6] + "\n" + sec[6:],
	}
	for name, in := range shapes {
		out := r.String(in)
		if strings.Contains(strings.ToLower(out), "def/123") || strings.Contains(out, "def%2F123") || strings.Contains(out, "ZGVmLzEy") {
			t.Errorf("%s: %q -> %q", name, in, out)
		}
	}
}
