package redact

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRedact plants two secrets in arbitrary text, one given to the
// Redactor and one only revealed by an argv= line, and checks that neither
// survives, with or without IP redaction.
//
// A secret made of marker text ("EDACT") or holding a bracket could be
// rebuilt from a marker and its neighbours; such secrets are skipped (a
// real PageKite secret is neither).
func FuzzRedact(f *testing.F) {
	for _, name := range []string{"reference.log", "pagekite-kite.log", "pagekite-relay.log"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			f.Add(line, "s3cret", "k1teSecret")
		}
	}
	f.Add("GET=/private?token=abc123; remote_ip=203.0.113.9", "abc", "203")
	f.Add("secret=aaaa; aaaa", "aaa", "aa")
	f.Add("::1 127.0.0.1 fe80::1%eth0", "1 1", "0.0")
	f.Fuzz(func(t *testing.T, text, secret, argvSecret string) {
		if !plantable(secret) || !plantable(argvSecret) ||
			strings.ContainsAny(argvSecret, " \t\r\n\v\f:;,'\"\u0085\u00a0") {
			t.Skip()
		}
		mid := len(text) / 2
		in := text[:mid] + secret + text[mid:] +
			"\nts=1; ll=0; argv=--clean --service_on=http:foo.kite.test:127.0.0.1:80:" + argvSecret +
			" --logfile=/x; ca_certs=/y\n" + text + " " + argvSecret + secret
		for _, ips := range []bool{true, false} {
			r := New(Options{Secrets: []string{secret}, RedactIPs: ips})
			got := r.String(in)
			if strings.Contains(got, secret) {
				t.Errorf("String(%q) = %q, kept caller secret %q", in, got, secret)
			}
			if strings.Contains(got, argvSecret) {
				t.Errorf("String(%q) = %q, kept argv secret %q", in, got, argvSecret)
			}
		}
		// The secret in each encoding of the survivors (#23), planted in
		// the text, and split across a line break.
		if len(secret) < minDerived {
			return
		}
		r := New(Options{Secrets: []string{secret}})
		for _, e := range encoders {
			enc := e.f(secret)
			if strings.Contains(Marker, enc) {
				continue
			}
			planted := text[:mid] + " " + enc + " " + text[mid:]
			if got := r.String(planted); strings.Contains(got, enc) {
				t.Errorf("%s: String(%q) = %q, kept %q", e.name, planted, got, enc)
			}
		}
		k := len(secret) / 2
		split := "x " + secret[:k] + "\n\t" + secret[k:] + " y"
		if got := r.String(split); strings.Contains(got, secret[:k]+"\n") || strings.Contains(got, "\t"+secret[k:]) {
			t.Errorf("split: String(%q) = %q", split, got)
		}
	})
}

// plantable reports whether s can serve as a planted secret (see FuzzRedact).
func plantable(s string) bool {
	if s == "" || strings.ContainsAny(s, "[]") {
		return false
	}
	return !strings.Contains(Marker, s) && !strings.Contains(IPMarker, s)
}

// FuzzJSON plants a secret in the strings, keys and an array of a JSON
// document and checks that JSON's output is valid JSON without it.
func FuzzJSON(f *testing.F) {
	f.Add("detail with 203.0.113.9", "s3cret")
	f.Add("GET=/x?y=z", "y=z")
	f.Add(`quote " and <tag>`, "a<b")
	f.Fuzz(func(t *testing.T, text, secret string) {
		// JSON text is UTF-8: encoding/json turns invalid bytes into
		// U+FFFD, whose bytes would then "contain" a one-byte secret.
		if !plantable(secret) || !utf8.ValidString(secret) || !utf8.ValidString(text) {
			t.Skip()
		}
		mid := len(text) / 2
		planted := text[:mid] + secret + text[mid:]
		in, err := json.Marshal(map[string]any{"a": planted, planted: 1, "n": []any{planted, 7, nil}})
		if err != nil {
			t.Skip() // invalid UTF-8 is replaced by Marshal: nothing planted
		}
		r := New(Options{Secrets: []string{secret}, RedactIPs: true})
		out, err := r.JSON(in)
		if err != nil {
			t.Fatalf("JSON(%s) error = %v", in, err)
		}
		var v any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("JSON(%s) = %s, not JSON: %v", in, out, err)
		}
		var walk func(any)
		walk = func(x any) {
			switch x := x.(type) {
			case string:
				if strings.Contains(x, secret) {
					t.Errorf("JSON(%s) = %s, kept %q", in, out, secret)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			case map[string]any:
				for k, e := range x {
					walk(k)
					walk(e)
				}
			}
		}
		walk(v)
	})
}
