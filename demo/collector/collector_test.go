package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"log"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's and the test's
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func makeTar(t *testing.T, files map[string]string, gz bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, content := range files {
		data := []byte(content)
		if gz && strings.HasSuffix(name, ".gz") {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(data)
			zw.Close()
			data = z.Bytes()
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCollector runs the collector on a real loopback HTTPS socket, trusts
// the CA it wrote, and uploads a clean and a leaky report.
func TestCollector(t *testing.T) {
	dir := t.TempDir()
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, log.New(out, "", 0), "127.0.0.1:0", dir, []string{"s3cret-planted"}) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve() after cancel = %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve() did not end within 10s of cancel")
		}
	}()
	var addr []byte
	for i := 0; i < 200; i++ { // up to 10 s
		var err error
		if addr, err = os.ReadFile(filepath.Join(dir, "addr")); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(addr) == 0 {
		t.Fatalf("collector wrote no addr file; log:\n%s", out)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.pem holds no certificate")
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	url := "https://" + strings.TrimSpace(string(addr)) + "/crashes"

	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"clean", map[string]string{"pagekite.log.gz": "argv=--service_on=http:a:b:c:[REDACTED]\n", "meta.json": "{}"}, "report 1: .*no planted secret found"},
		{"leak in gzip member", map[string]string{"pagekite.log.gz": "argv=--x:s3cret-planted\n"}, "report 2: .*SECRET LEAKED in pagekite.log.gz"},
		{"leak in plain member", map[string]string{"cmdline": "pagekite s3cret-planted"}, "report 3: .*SECRET LEAKED in the upload, cmdline"},
	}
	for _, tt := range tests {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, err := mw.CreateFormFile("data", "KITE-DOWN.tar")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(makeTar(t, tt.files, true))
		mw.Close()
		resp, err := client.Post(url, mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatalf("%s: POST error = %v", tt.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: POST status = %d, want 200", tt.name, resp.StatusCode)
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for _, tt := range tests {
		found := false
		for _, l := range lines {
			if ok, _ := regexp.MatchString(tt.want, l); ok {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no log line matching %q in:\n%s", tt.name, tt.want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "report-3.tar")); err != nil {
		t.Errorf("report-3.tar not saved: %v", err)
	}
}

func TestAnalyzeGzippedTar(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(makeTar(t, map[string]string{"a": "nothing", "b": "xx TOPSECRET xx"}, false))
	zw.Close()
	a := analyze(z.Bytes(), []string{"TOPSECRET"})
	if got, want := strings.Join(a.leaks, ","), "the decompressed upload,b"; got != want {
		t.Errorf("analyze(gzipped tar).leaks = %q, want %q", got, want)
	}
	if len(a.members) != 2 || a.err != nil {
		t.Errorf("analyze(gzipped tar) = members %v, err %v; want 2 members, no error", a.members, a.err)
	}
}
