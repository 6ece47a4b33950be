package redact

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// kiteSignature signs a kite request as libpagekite's pk_sign does: an
// 8-character token, then the SHA-1 of secret, payload and token, cut to
// 36 characters in all; a timestamped one starts with 't'.
func kiteSignature(secret, payload, token string) string {
	sum := sha1.Sum([]byte(secret + payload + token))
	return (token + hex.EncodeToString(sum[:]))[:36]
}

// TestKiteRequestSignatureRedacted: the signature of a kite request, a
// SHA-1 of the kite's secret that a weak secret could be found from
// offline, survives in no shape pagekitec (" * X-PageKite: ..." at full
// verbosity, which pkwatchdogd asks for on a suspect kite) or pagekite.py
// (--debugio: a repr of the whole request, on one line) logs it in, nor
// in a report's JSON; the kite's name and the
// rest of the line stay. The session a tunnel replaces goes too.
func TestKiteRequestSignatureRedacted(t *testing.T) {
	r := New(Options{Secrets: []string{"unrelated-known-secret"}})
	const bsalt, fsalt = "3c9a1f2e4b5d6c7e8f90a1b2c3d4e5f6a7b8", "8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8"
	kites := []struct{ proto, domain string }{
		{"http", "a.kite.test"}, {"http-8080", "b.kite.test"}, {"https-443", "c.kite.test"},
		{"raw-22", "ssh.kite.test"}, {"websocket", "ws.kite.test"},
	}
	payloads := map[string]func(proto, domain string) string{
		"bsalt and fsalt": func(p, d string) string { return p + ":" + d + ":" + bsalt + ":" + fsalt },
		"no fsalt yet":    func(p, d string) string { return p + ":" + d + ":" + bsalt + ":" },
		"no salts":        func(p, d string) string { return p + ":" + d },
	}
	tokens := []string{"0000000f", "1a2b3c4d", "t7e57e57"}
	shapes := map[string]func(header string) string{
		"pagekitec": func(h string) string { return "ts=6766b1c0; tid=7f01; ll=1a; msg= * " + h + "\r" },
		"syslog": func(h string) string {
			return "Mon Dec  7 01:00:00 2026 daemon.info pagekitec[812]: tid=7f12; ll=1a; msg= * " + h
		},
		"pagekitec buffer": func(h string) string {
			return "msg= - Partial buffer: HTTP/1.1 200 OK\r\nX-PageKite-UUID: u\r\n" + h + "\r\n\r\n"
		},
		"debugio":     func(h string) string { return "t=2026-12-07T01:00:00; debug=>> " + h + "; id=s1" },
		"lower case":  func(h string) string { return strings.ToLower(h) },
		"tab":         func(h string) string { return strings.Replace(h, ": ", ":\t", 1) },
		"twice":       func(h string) string { return h + "\r\n" + h },
		"python repr": func(h string) string { return `'CONNECT PageKite:1 HTTP/1.0\r\n` + h + `\r\n` + h + `\r\n\r\n'` },
		"json": func(h string) string {
			b, _ := json.Marshal(map[string]string{"msg": "\r\n" + h + "\r\n"})
			return string(b)
		},
	}
	n := 0
	for _, k := range kites {
		for pname, payload := range payloads {
			for _, tok := range tokens {
				data := payload(k.proto, k.domain)
				sig := kiteSignature("weak", data, tok)
				header := fmt.Sprintf("X-PageKite: %s:%s", data, sig)
				for sname, shape := range shapes {
					n++
					in := shape(header)
					out := r.String(in)
					if strings.Contains(strings.ToLower(out), strings.ToLower(sig[8:20])) {
						t.Errorf("%s, %s: the signature survived: %q -> %q", sname, pname, in, out)
					}
					if !strings.Contains(strings.ToLower(out), k.domain) {
						t.Errorf("%s, %s: the kite's name went too: %q -> %q", sname, pname, in, out)
					}
				}
			}
		}
	}
	t.Logf("%d shapes", n)
	for _, in := range []string{
		"X-PageKite-Replace: 3c9a1f2e4b5d6c7e",
		`{"msg":"\r\nX-PageKite-Replace: 3c9a1f2e4b5d6c7e\r\n"}`,
	} {
		if out := r.String(in); strings.Contains(out, "3c9a1f2e4b5d6c7e") {
			t.Errorf("replaced session survived: %q -> %q", in, out)
		}
	}
	// What is not a kite request stays: the challenge holds no secret.
	for _, in := range []string{
		"X-PageKite-SignThis: http:a.kite.test:" + bsalt + ":" + fsalt,
		"X-PageKite-OK: http:a.kite.test",
	} {
		if out := r.String(in); out != in {
			t.Errorf("%q -> %q, want it kept", in, out)
		}
	}
}

// TestPagekitecHandshakeLog redacts a real pagekitec's log of its
// handshakes (testdata/pagekitec-handshake.log: at the verbosity SIGUSR1
// gives, then with raw data dumps): no request signature, relay session
// id or piece of one of them survives, whatever line it is in (a raw
// dump cuts a header every 160 bytes); the kite's name, "session=new",
// the dumps' sizes and the rest of the story stay.
func TestPagekitecHandshakeLog(t *testing.T) {
	text := readLog(t, "testdata/pagekitec-handshake.log")
	// What must go, read from the log itself: each signature (the last
	// field of an X-PageKite request) and session id, in pieces of 12.
	var private []string
	for _, m := range regexp.MustCompile(`X-PageKite: [^\s\\]*:([0-9a-f]{36})`).FindAllStringSubmatch(text, -1) {
		private = append(private, m[1])
	}
	for _, m := range regexp.MustCompile(`[0-9a-f]{8}:[0-9a-f]{40}`).FindAllString(text, -1) {
		private = append(private, m)
	}
	if len(private) < 10 {
		t.Fatalf("found %d signatures and session ids in the log, want 10 or more", len(private))
	}
	got := New(Options{RedactIPs: true}).String(text)
	for _, p := range private {
		for i := 0; i+12 <= len(p); i += 6 {
			if strings.Contains(got, p[i:i+12]) {
				t.Errorf("%q (of %s) survived", p[i:i+12], p)
			}
		}
	}
	for _, k := range []string{
		"msg= * X-PageKite: http:a.kite.test:", "(session=new, in DNS)", "msg=W/5(141/141): ", "msg=R/5(520/520): ",
		"Session ID is: ", "msg= - Matched: http:a.kite.test", "Tick!  [repeating=yes, next=16, status=10, tunnels=0, v=0.91.251215C]",
		"msg=5: Connected!",
	} {
		if !strings.Contains(got, k) {
			t.Errorf("lost %q", k)
		}
	}
	if t.Failed() {
		t.Logf("redacted:\n%s", got)
	}
}
