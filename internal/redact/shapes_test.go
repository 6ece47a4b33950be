package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestPlantedShapes plants private data in the shapes PageKite, web stacks
// and logs write it in, and checks that none survives.
func TestPlantedShapes(t *testing.T) {
	const secret = "Kx9-s3cr3t_Val"
	const odd = `pa"ss<w0rd&more`
	js, _ := json.Marshal(odd)
	tests := []struct {
		name    string
		in      string
		gone    []string
		secrets []string
	}{
		{"literal", "x " + secret + " y", []string{secret}, []string{secret}},
		{"URL-encoded (query)", "note=" + url.QueryEscape(odd), []string{url.QueryEscape(odd)}, []string{odd}},
		{"URL-encoded (path)", "GET /a/" + url.PathEscape(odd) + " HTTP/1.1", []string{url.PathEscape(odd)}, []string{odd}},
		{"percent-encoded, every byte", "v %4B%78%39%2D%73%33%63%72%33%74%5F%56%61%6C done", []string{"%4B%78%39%2D%73%33%63%72%33%74%5F%56%61%6C"}, []string{secret}},
		{"JSON-escaped", `{"msg": "got ` + string(js[1:len(js)-1]) + `"}`, []string{string(js[1 : len(js)-1])}, []string{odd}},
		{"base64", "blob " + base64.StdEncoding.EncodeToString([]byte(secret)), []string{base64.StdEncoding.EncodeToString([]byte(secret))}, []string{secret}},
		{"base64 of user:secret", "creds " + base64.StdEncoding.EncodeToString([]byte("alice:"+secret)), []string{base64.StdEncoding.EncodeToString([]byte("alice:" + secret))}, []string{secret}},
		{"base64url at an offset", "x" + base64.URLEncoding.EncodeToString([]byte("ab"+secret+"cd")), []string{base64.URLEncoding.EncodeToString([]byte("ab" + secret + "cd"))}, []string{secret}},
		{"secret split at a colon in service_on", "argv=--service_on=http:foo.kite.test:localhost:80:abc123:def456 --clean\nlater abc123 and def456",
			[]string{"abc123", "def456"}, nil},
		{"quoted with spaces", "kitesecret = \"my long secret\"\nit said my long secret", []string{"my long secret"}, nil},
		{"query and fragment in any URL", "Referer: https://example.com/p/q?id=42&x=y#frag-77 next", []string{"id=42", "x=y", "frag-77"}, nil},
		{"key=value forms", "pass=p1 pwd=p2 auth=p3 apikey=p4 api_key=p5 token=p6 cookie=p7", []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7"}, nil},
		{"JSON fields", `{"password": "p1", "apiKey": "p2", "auth_token": "p3"}`, []string{"p1", "p2", "p3"}, nil},
		{"YAML fields", "password: p1\n  api_key: p2\n- token: p3", []string{"p1", "p2", "p3"}, nil},
		{"Python repr fields", `{'passwd': 'p1', 'cookie': 'p2'}`, []string{"p1", "p2"}, nil},
		{"pagekitec's state dump", "msg=fe_0/fe_session: 5ess10nId99 and fe_0/fe_hostname: x", []string{"5ess10nId99"}, nil},
		{"X-Api-Key header", "X-Api-Key: k-123456", []string{"k-123456"}, nil},
		{"Authorization on the next line", "Authorization:\n    Bearer abc.def.ghi", []string{"abc.def.ghi"}, nil},
		{"user info in a URL", "fetch https://ghp_TOKEN123@github.example/x", []string{"ghp_TOKEN123"}, nil},
		{"e-mail", "from alice.smith+pk@example.co.uk ok", []string{"alice.smith+pk@example.co.uk"}, nil},
		{"IP with leading zeros", "from 010.000.002.007 ok", []string{"010.000.002.007"}, nil},
		{"IP after an underscore", "ip_192.0.2.7 ok", []string{"192.0.2.7"}, nil},
		{"URL-encoded IP", "q=host%3D192.0.2.8 and 192%2E0%2E2%2E9", []string{"192.0.2.8", "192%2E0%2E2%2E9"}, nil},
		{"IPv6 in brackets", "[2001:db8::7]:443 and [fe80::1%25eth0]", []string{"2001:db8::7"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New(Options{Secrets: tt.secrets, RedactIPs: true}).String(tt.in)
			for _, g := range tt.gone {
				if strings.Contains(got, g) {
					t.Errorf("String(%q) = %q, kept %q", tt.in, got, g)
				}
			}
		})
	}
}

// encodings is what FuzzSecretEncodings plants: the secret in every shape
// variants promises to remove.
func encodings(secret string) []string {
	js, _ := json.Marshal(secret)
	return []string{
		secret,
		url.QueryEscape(secret),
		url.PathEscape(secret),
		string(js[1 : len(js)-1]),
		base64.StdEncoding.EncodeToString([]byte(secret)),
		base64.RawURLEncoding.EncodeToString([]byte(secret)),
		base64.StdEncoding.EncodeToString([]byte("user:" + secret)),
		base64.StdEncoding.EncodeToString([]byte("u:" + secret + "!")),
	}
}

// FuzzSecretEncodings plants a secret in arbitrary text in every encoding
// of encodings and fails on any survivor.
func FuzzSecretEncodings(f *testing.F) {
	data, err := os.ReadFile("testdata/pagekite-kite.log")
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f.Add(line, "k1teSecret-42")
	}
	f.Add("x", `a"b<c>&d e`)
	f.Add("GET=/x?y=z", "per%cent/sl:ash")
	f.Fuzz(func(t *testing.T, text, secret string) {
		if !plantable(secret) || len(secret) < minDerived || !utf8.ValidString(secret) {
			t.Skip()
		}
		forms := encodings(secret)
		var b strings.Builder
		for i, form := range forms {
			mid := len(text) * i / len(forms)
			b.WriteString(text[:mid] + " " + form + " " + text[mid:] + "\n")
		}
		in := b.String()
		got := New(Options{Secrets: []string{secret}, RedactIPs: true}).String(in)
		for _, form := range forms {
			if len(form) >= minDerived && strings.Contains(got, form) {
				t.Errorf("secret %q: its form %q survived in %q", secret, form, got)
			}
		}
	})
}

// BenchmarkRedactLog scrubs a 2000-line PageKite log, as a crash report
// does.
func BenchmarkRedactLog(b *testing.B) { benchmarkRedact(b, "testdata/pagekite-kite.log") }

// BenchmarkRedactEscapedLog scrubs 2000 lines that each hold percent
// escapes, HTML entities and backslash escapes (pagekitec's log, its
// lines encoded): every line is decoded, the worst case of the decoded
// search (#30 item 2).
func BenchmarkRedactEscapedLog(b *testing.B) { benchmarkRedact(b, "testdata/escaped.log") }

func benchmarkRedact(b *testing.B, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var log strings.Builder
	for i := 0; i < 2000; i++ {
		log.WriteString(lines[i%len(lines)])
		log.WriteByte('\n')
	}
	text := log.String()
	r := New(Options{Secrets: []string{"k1teSecret-42", "another-secret"}, RedactIPs: true})
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		_ = r.String(text)
	}
}

// TestCredentialShapes: values no one told the redactor of go by what
// they are (#30 item 2): a credential-like key's value whole, quoted or
// not, also when only a decoded form shows the key; long opaque tokens in
// value position. What is neither stays (#31 item 3).
func TestCredentialShapes(t *testing.T) {
	hex40 := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
	b64 := "QWxhZGRpbjpvcGVuIHNlc2FtZQ9xZmF3ZXJ0eXVpb3BBU0RGR0hKS0xaWENWQk5NcXdl" // 68 characters
	for _, tt := range []struct {
		name string
		in   string
		gone []string
		kept []string
	}{
		{"quoted secret, two words", `ts=1; kitesecret="two w0rds here"; x=1`, []string{"w0rds", "here"}, []string{"kitesecret=", "; x=1"}},
		{"single-quoted password", `password='pa55 phrase' next`, []string{"pa55", "phrase"}, []string{"next"}},
		{"quoted, HTML-escaped", `ts=1; secret=&quot;two w0rds&quot; done`, []string{"w0rds"}, []string{"done"}},
		{"percent-encoded query", "GET /x%3Ftoken%3Dabc123xyz HTTP/1.1", []string{"abc123xyz"}, []string{"GET /x", "HTTP/1.1"}},
		{"percent-encoded query, twice", "GET /x%253Fkey%253Dk3yV4lue%2526a%253Db HTTP/1.1", []string{"k3yV4lue"}, []string{"GET /x"}},
		{"JSON inside a JSON string", `{"msg": "{\"password\": \"p4ss w0rd\"}"}`, []string{"p4ss", "w0rd"}, []string{`"msg"`}},
		{"percent-encoded JSON", "body=%7B%22password%22%3A%22pw9xyz%22%7D", []string{"pw9xyz"}, []string{"body="}},
		{"Python escapes", `'cookie\x3d c00kieval'`, []string{"c00kieval"}, nil},
		{"40 hex after id=", "id=" + hex40 + "; ok", []string{hex40}, []string{"; ok"}},
		{"40 hex after client_id:", `"client_id": "` + hex40 + `"`, []string{hex40}, nil},
		{"60+ base64 after key=", "key=" + b64 + " ok", []string{b64}, []string{" ok"}},
		{"60+ base64 after any name", "blob=" + b64 + "==; ok", []string{b64}, []string{"; ok"}},
		{"signature in a query-less line", "sig: " + hex40 + hex40[:24], []string{hex40}, nil},
		{"nonce", "nonce=" + hex40[:32], []string{hex40[:32]}, nil},
		{"session id after Session ID is:", "msg=Session ID is: 9b7e61f03ac24d58e1", []string{"9b7e61f03ac24d58e1"}, []string{"Session ID is: "}},
		{"relay uuid stays", "uuid=" + hex40 + "; wanted_by=config", nil, []string{"uuid=" + hex40}},
		{"a commit stays", "sha=" + hex40, nil, []string{hex40}},
		{"a long path stays", "file=/usr/lib/python3/dist-packages/pagekite/proto/conns.py:1234 in ProcessData", nil, []string{"/usr/lib/python3/dist-packages/pagekite/proto/conns.py"}},
		{"versions and counts stay", "version=1.5.2.201011; DATA: 137 bytes; data=512; session=new, x", nil, []string{"version=1.5.2.201011", "DATA: 137 bytes", "data=512", "session=new,"}},
		{"escaped text without a secret stays", `msg=line one\nline two \u00e9t\u00e9 100%25 &amp; more`, nil, []string{`line one\nline two \u00e9t\u00e9 100%25 &amp; more`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := New(Options{}).String(tt.in)
			for _, g := range tt.gone {
				if strings.Contains(got, g) {
					t.Errorf("String(%q) = %q, kept %q", tt.in, got, g)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(got, k) {
					t.Errorf("String(%q) = %q, lost %q", tt.in, got, k)
				}
			}
		})
	}
}
