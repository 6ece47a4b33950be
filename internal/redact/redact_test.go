package redact

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	r := New(Options{Secrets: []string{"callerS3cret", "wonderPW"}, RedactIPs: true})
	tests := []struct {
		name     string
		in       string
		gone     []string // must not survive
		kept     []string // must survive
		wantText string   // exact result, when set
	}{
		{
			name: "caller secret anywhere",
			in:   "x=1; note=callerS3cret inside; y=callerS3cretcallerS3cret",
			gone: []string{"callerS3cret"},
			kept: []string{"x=1; note=", " inside; y="},
		},
		{
			name: "argv service_on last field",
			in:   "ll=0; started=/usr/bin/pagekite; argv=--clean --service_on=http:foo.kite.test:127.0.0.1:28080:s3cret; x=1\nlater s3cret again",
			gone: []string{"s3cret"},
			kept: []string{"--service_on=http:foo.kite.test:", "later "},
		},
		{
			name: "argv service_on without secret keeps its port",
			in:   "argv=--service_on=http:foo.kite.test:localhost:28080 --kitesecret=topsecretX; port 28080",
			gone: []string{"topsecretX"},
			kept: []string{"localhost:28080", "port 28080"},
		},
		{
			name: "argv with spaces and service_on as separate word",
			in:   "argv=--service_on http/8080:foo.kite.test:[::1]:80:sp4ced --domain=http,raw:foo.kite.test:relayS3c",
			gone: []string{"sp4ced", "relayS3c"},
		},
		{
			name: "config lines",
			in:   "kitesecret = cfgSecret1\nservice_on = http : foo.kite.test : localhost : 80 : cfgSecret2\nservice_cfg = foo.kite.test/80 : password/bob : cfgPass3\ndyndns = alice:dynPass4@pagekite.net",
			gone: []string{"cfgSecret1", "cfgSecret2", "cfgPass3", "dynPass4"},
			kept: []string{"password/bob"},
		},
		{
			name:     "GET query string",
			in:       "ts=1; GET=/private?token=abc123; proto=http",
			wantText: "ts=1; GET=/private?[REDACTED]; proto=http",
		},
		{
			name:     "POST query string",
			in:       "POST=/form?pw=zz; on_port=29081",
			wantText: "POST=/form?[REDACTED]; on_port=29081",
		},
		{
			name:     "path without query kept",
			in:       "GET=/index.html; proto=http",
			wantText: "GET=/index.html; proto=http",
		},
		{
			name:     "forbidden-user",
			in:       "remote_ip=127.0.0.1; forbidden-user=['Basic YWxpY2U6d29uZGVybGFuZA==']; err=No back-end",
			wantText: "remote_ip=[REDACTED]; forbidden-user=[REDACTED]; err=No back-end",
		},
		{
			name: "headers",
			in:   "Authorization: Bearer abc.def.ghi\nCookie: sid=cookieval; other=1\nHost: foo",
			gone: []string{"abc.def.ghi", "cookieval"},
			kept: []string{"Authorization: ", "Cookie: ", "Host: foo"},
		},
		{
			name:     "secret, session, data fields",
			in:       "builtin_httpd=x; secret=hUnter2; session=Zm9vYmFy; dyndns=ok; data=https://u:p4ss@up.example/?h=x",
			wantText: "builtin_httpd=x; secret=[REDACTED]; session=[REDACTED]; dyndns=ok; data=https://[REDACTED]@up.example/?[REDACTED]",
		},
		{
			name:     "URL password",
			in:       "fetching https://bob:pa55word@example.com/x",
			wantText: "fetching https://[REDACTED]@example.com/x",
		},
		{
			name:     "IPv4 and IPv6",
			in:       "FE=127.0.0.1:29081; peer=[2001:db8::1]:443; v6=fe80::1%eth0 and ::1.",
			wantText: "FE=[REDACTED-IP]:29081; peer=[[REDACTED-IP]]:443; v6=[REDACTED-IP] and [REDACTED-IP].",
		},
		{
			name:     "not IPs",
			in:       "version=1.5.2.201011; python=3.11.2; t=2026-11-23T23:40:48; v1.2.3.4; std::map; 999.1.1.1; 00:1a:2b:3c:4d; 12:34:56; accept=~0.1:45112",
			wantText: "version=1.5.2.201011; python=3.11.2; t=2026-11-23T23:40:48; v1.2.3.4; std::map; 999.1.1.1; 00:1a:2b:3c:4d; 12:34:56; accept=~0.1:45112",
		},
		{
			// MAC addresses identify a device; IPv6 may be URL-encoded.
			name:     "MACs and encoded IPv6",
			in:       "mac=00:1a:2b:3c:4d:5e hw 00-1A-2B-3C-4D-5E peer=%5B2001%3Adb8%3A%3A1%5D%3A443 v6=fe80%3a%3a1",
			wantText: "mac=[REDACTED-IP] hw [REDACTED-IP] peer=%5B[REDACTED-IP]%5D%3A443 v6=[REDACTED-IP]",
		},
		{
			name: "caller password from service_cfg",
			in:   "--service_cfg=foo.kite.test/80:password/alice:wonderPW",
			gone: []string{"wonderPW"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.String(tt.in)
			if tt.wantText != "" && got != tt.wantText {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.wantText)
			}
			for _, g := range tt.gone {
				if strings.Contains(got, g) {
					t.Errorf("String(%q) = %q, want no %q", tt.in, got, g)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(got, k) {
					t.Errorf("String(%q) = %q, want %q kept", tt.in, got, k)
				}
			}
		})
	}
}

func TestStringKeepsIPsWhenAsked(t *testing.T) {
	r := New(Options{RedactIPs: false})
	in := "FE=127.0.0.1:29081; remote_ip=203.0.113.9"
	want := "FE=127.0.0.1:29081; remote_ip=[REDACTED]"
	if got := r.String(in); got != want {
		t.Errorf("String(%q) = %q, want %q", in, got, want)
	}
}

func TestExtra(t *testing.T) {
	extra, err := CompileExtra([]string{`acct-\d+`, `user=(\w+)`})
	if err != nil {
		t.Fatalf("CompileExtra() error = %v", err)
	}
	r := New(Options{Extra: extra})
	in := "acct-12345 user=alice; host=box"
	want := "[REDACTED] user=[REDACTED]; host=box"
	if got := r.String(in); got != want {
		t.Errorf("String(%q) = %q, want %q", in, got, want)
	}
}

func TestCompileExtraErrors(t *testing.T) {
	tests := []struct {
		patterns []string
		wantErr  []string // substrings of the error; nil: no error
	}{
		{patterns: nil},
		{patterns: []string{`ok\d+`, `fine`}},
		{patterns: []string{`ok`, `(`, `[z-a]`}, wantErr: []string{"redact pattern 1 \"(\"", "redact pattern 2 \"[z-a]\""}},
		{patterns: []string{``}, wantErr: []string{"redact pattern 0: empty"}},
		{patterns: []string{`x*`}, wantErr: []string{"matches the empty string"}},
	}
	for _, tt := range tests {
		res, err := CompileExtra(tt.patterns)
		if tt.wantErr == nil {
			if err != nil || len(res) != len(tt.patterns) {
				t.Errorf("CompileExtra(%q) = %d, %v, want %d, nil", tt.patterns, len(res), err, len(tt.patterns))
			}
			continue
		}
		if err == nil {
			t.Errorf("CompileExtra(%q) = nil error, want one", tt.patterns)
			continue
		}
		for _, w := range tt.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("CompileExtra(%q) = %v, want it to mention %q", tt.patterns, err, w)
			}
		}
	}
}

func TestFindSecrets(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"argv=--clean --service_on=http:foo:127.0.0.1:80:s3cret", []string{"s3cret"}},
		{"argv=--service_on=http:foo:127.0.0.1:80 --kitesecret=k1; x=y", []string{"k1"}},
		{"argv=--service_on=http:foo:127.0.0.1:80:s3cret;", []string{"s3cret"}},
		{"argv=--domain=http,raw:foo.kite.test:relayS3c --httppass=hp", []string{"relayS3c", "hp"}},
		{"nothing here", nil},
		{"domain=foo.kite.test; proto=http", nil},
		// What was written where a secret goes, separators and all (#30).
		{"argv=--clean --service_on=http:colon.kite.test:localhost:83:Abc:def123 --x", []string{"Abc:def123"}},
		{"argv=--domain=http:foo.kite.test:Abc:def:123", []string{"Abc:def:123"}},
		{"argv=--kitesecret=two words --clean; x=1", []string{"two words", "two"}},
		{"argv=--secret=a=b,c/d", []string{"a=b,c/d"}},
		{"argv=--backend=http:foo:localhost:80:be:secret", []string{"be:secret"}},
		{"secret = \"two words\"", []string{"two words"}},
		{"service_on = http : foo : localhost : 80 : Abc : def", []string{"Abc:def", "Abc : def"}},
		{"dyndns = bob:se/cr@t:x@pagekite.net", []string{"se/cr@t:x"}},
		{"argv=--dyndns=https://bob:pw/x@up.example/", []string{"pw/x"}},
		{"argv=--service_on=http:foo:localhost:builtin", nil},
	}
	for _, tt := range tests {
		got := FindSecrets(tt.in)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("FindSecrets(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCorpus redacts real pagekite.py logs: reference.log holds the lines
// of docs/reference, pagekite-kite.log and pagekite-relay.log were written
// by Debian's pagekite 1.5.2 run as relay and kite on loopback, with a
// service secret, a service_cfg password, Basic credentials, a cookie and
// query strings (see testdata/README.md).
func TestCorpus(t *testing.T) {
	r := New(Options{RedactIPs: true})
	tests := []struct {
		file string
		gone []string
		kept []string
	}{
		{
			file: "reference.log",
			gone: []string{"s3cret", "abc123", "token=", "203.0.113.9", "YWxpY2U6d29uZGVybGFuZA==", "127.0.0.1"},
			kept: []string{"version=1.5.2.201011", "GET=/private?", "err=No back-end", "reason=signature", "domain=bad.kite.test", "t=2026-11-23T23:40:48"},
		},
		{
			file: "pagekite-kite.log",
			gone: []string{"s3cretRelay", "wonderPW", "abc123", "q=1", "pw=zz", "YWxpY2U6d29uZGVybGFuZA==", "127.0.0.1"},
			kept: []string{"GET=/private?", "GET=/x?", "POST=/form?", "password/alice:", "uuid=61c647b6bce05febc44260c24fbd0ea5154d5c0f"},
		},
		{
			file: "pagekite-relay.log",
			gone: []string{"s3cretRelay"},
			kept: []string{"--domain=http,raw:foo.kite.test:", "accept=~0.1:45112"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got := string(r.Bytes(data))
			if n := strings.Count(got, "\n"); n != strings.Count(string(data), "\n") {
				t.Errorf("String(%s) has %d lines, want %d", tt.file, n, strings.Count(string(data), "\n"))
			}
			for _, g := range tt.gone {
				if !strings.Contains(string(data), g) {
					t.Fatalf("testdata/%s lacks %q: the test would prove nothing", tt.file, g)
				}
				if strings.Contains(got, g) {
					t.Errorf("String(%s) kept %q:\n%s", tt.file, g, got)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(got, k) {
					t.Errorf("String(%s) lost %q:\n%s", tt.file, k, got)
				}
			}
		})
	}
}

func TestJSON(t *testing.T) {
	r := New(Options{Secrets: []string{"a<b\"c", "424242"}, RedactIPs: true})
	in := []byte(`{"kite":"foo","detail":"GET=/x?tok=1 from 203.0.113.9","secret":"whatever","n":424242,"m":7,` +
		`"list":["a<b\"c",true,null,{"password":""}],"nested":{"Authorization":"Basic Zm9vOmJhcg=="}}`)
	got, err := r.JSON(in)
	if err != nil {
		t.Fatalf("JSON() error = %v", err)
	}
	want := `{
  "kite": "foo",
  "detail": "GET=/x?[REDACTED] from [REDACTED-IP]",
  "secret": "[REDACTED]",
  "n": "[REDACTED]",
  "m": 7,
  "list": [
    "[REDACTED]",
    true,
    null,
    {
      "password": ""
    }
  ],
  "nested": {
    "Authorization": "[REDACTED]"
  }
}
`
	if string(got) != want {
		t.Errorf("JSON() = %s, want %s", got, want)
	}
	if _, err := r.JSON([]byte(`{"a":`)); err == nil {
		t.Errorf("JSON(truncated) = nil error, want one")
	}
}

func TestMarkersHoldNoSecretPattern(t *testing.T) {
	// Redacting twice must change nothing: markers are not themselves
	// mistaken for data.
	r := New(Options{Secrets: []string{"s3cret"}, RedactIPs: true, Extra: []*regexp.Regexp{regexp.MustCompile(`acct-\d+`)}})
	data, err := os.ReadFile("testdata/pagekite-kite.log")
	if err != nil {
		t.Fatal(err)
	}
	once := r.String(string(data))
	if twice := r.String(once); twice != once {
		t.Errorf("String(String(x)) = %q, want %q", twice, once)
	}
}
