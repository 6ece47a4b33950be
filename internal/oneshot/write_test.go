package oneshot

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// TestWriteRequest: the request as net/http's server reads it, with its
// Host, headers (a line break in a value turned into a space), length and
// body; a body without a length and a host with a line break are refused.
func TestWriteRequest(t *testing.T) {
	req, err := http.NewRequest(http.MethodPost, "http://collector.test:8080/cgi-bin/crashes.pl?x=1", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 5
	req.Close = true
	req.Header.Set("User-Agent", "pkwatchdogd/test")
	req.Header.Set("X-Note", "a\r\nInjected: yes")
	var b bytes.Buffer
	if err := WriteRequest(&b, req); err != nil {
		t.Fatal(err)
	}
	raw := b.String()
	if !strings.HasPrefix(raw, "POST /cgi-bin/crashes.pl?x=1 HTTP/1.1\r\nHost: collector.test:8080\r\n") || strings.Contains(raw, "\r\nInjected:") {
		t.Fatalf("WriteRequest wrote %q", raw)
	}
	got, err := http.ReadRequest(bufioReader(raw))
	if err != nil {
		t.Fatalf("ReadRequest: %v (%q)", err, raw)
	}
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(got.Body)
	if got.Host != "collector.test:8080" || got.ContentLength != 5 || body.String() != "hello" || !got.Close || got.UserAgent() != "pkwatchdogd/test" {
		t.Errorf("read back %+v body %q", got, body)
	}

	req.ContentLength = 0
	if err := WriteRequest(&b, req); err == nil {
		t.Errorf("a body without its length was written")
	}
	bad, _ := http.NewRequest(http.MethodGet, "http://x.test/", nil)
	bad.Host = "x.test\r\nEvil: 1"
	if err := WriteRequest(&b, bad); err == nil {
		t.Errorf("a host with a line break was written")
	}
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
