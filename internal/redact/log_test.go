package redact

import (
	"os"
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

// TestPagekitecLog redacts pagekitec's log lines (testdata/pagekitec.log,
// in the shapes of libpagekite's format strings): byte counts, states,
// stream and relay ids stay, session ids and secrets go (#31 item 3).
func TestPagekitecLog(t *testing.T) {
	text := readLog(t, "testdata/pagekitec.log")
	got := New(Options{Secrets: []string{"pkc-Secret/9:x"}, RedactIPs: true}).String(text)
	for _, k := range []string{
		"(session=new, is fast, in DNS)", "fe_0/request_count: 3", "fe_0/fe_port: 29081", "fe_0/conn/status: 00000011",
		"read_bytes: 4096", "sent_kb: 12", "activity: 6934a8b0 (9s ago)", "buffer_bytes_left: 65536", "chunk/length: 137",
		"[sid=7] DATA: 137 bytes via", "[sid=7] NOOP: (eof:0 skb:16 spd:0)", "[sid=7] EOF: rw", ">00007> DATA: 512 bytes",
		"12: sid=7, wrote_bytes=2048, reported_kb=16", "read_kb=12; sent_kb=3; send_window_kb=64", "result=1, bytes=137",
		"Tick!  [repeating=yes, next=30, status=20, tunnels=1, v=0.91.201110C]", "uuid=61c647b6bce05febc44260c24fbd0ea5154d5c0f",
		"Relay; status=0x00000111; errors=0;", "TLS_AES_256_GCM_SHA384", "buffer_bytes_free: 262144", "app_id_short: pagekitec",
		"ll=36; msg=pagekitec: /usr/bin/pagekitec -Y json:/var/run/pagekitec.status 80 http foo.kite.test 80 ",
	} {
		if !strings.Contains(got, k) {
			t.Errorf("String(pagekitec.log) lost %q:\n%s", k, got)
		}
	}
	for _, g := range []string{"a4f9c2e17b3d8e65f0", "9b7e61f03ac24d58e1", "3c1f09ab77d2e8f4a6b5", "pkc-Secret", "Secret/9", "192.0.2.7"} {
		if strings.Contains(got, g) {
			t.Errorf("String(pagekitec.log) kept %q:\n%s", g, got)
		}
	}
}

// readLog returns the log in file without its comment lines (those that
// start with "#"), every other line as it is.
func readLog(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
