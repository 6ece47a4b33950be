package pkconfig

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseDir(t *testing.T) {
	tests := []struct {
		dir               string
		wantKites         []Kite
		wantNotConfigured bool
		wantDefaults      bool
		wantFiles         []string
		wantSecrets       []string
		wantFrontends     []string
		wantErrorURLs     []string
	}{
		{
			// Debian's stock files, as installed: abort_not_configured, samples ignored.
			dir:               "debian-stock",
			wantNotConfigured: true,
			wantDefaults:      true,
			wantFiles:         []string{"10_account.rc", "20_frontends.rc", "90_debian_certs.rc"},
			wantSecrets:       []string{"YOURSECRET"},
			wantErrorURLs:     []string{"https://pagekite.net/offline/?"},
		},
		{
			// A configured account with httpd and sshd; .hidden.rc and the
			// .rc.sample are not read.
			dir: "configured",
			wantKites: []Kite{{Name: "foo.pagekite.me", Services: []Service{
				{Proto: "http", Backend: "localhost:8080"},
				{Proto: "raw-22", Port: 22, Backend: "localhost:22", PublicPort: 22},
			}}},
			wantDefaults:  true,
			wantFiles:     []string{"10_account.rc", "20_frontends.rc", "80_httpd.rc", "80_sshd.rc", "90_debian_certs.rc"},
			wantSecrets:   []string{"c0nfigured-s3cret"},
			wantErrorURLs: []string{"https://pagekite.net/offline/?"},
		},
		{
			dir: "multi",
			wantKites: []Kite{
				{Name: "main.example.net", Services: []Service{
					{Proto: "http", Backend: "127.0.0.1:8080"},
					{Proto: "websocket", Backend: "127.0.0.1:8080"},
					{Proto: "http-8081", Port: 8081, Backend: "127.0.0.1:8081", PublicPort: 8081},
					{Proto: "raw-3389", Port: 3389, Backend: "localhost:3389", PublicPort: 3389},
				}},
				{Name: "shell.example.net", Services: []Service{{Proto: "raw-22", Port: 22, Backend: "localhost:2222", PublicPort: 22}}},
				{Name: "secure.example.net", Services: []Service{{Proto: "https", Backend: "localhost:8443"}}},
			},
			wantFiles:     []string{"10_account.rc", "50_services.rc", "60_more.rc"},
			wantSecrets:   []string{"main-s3cret", "dyn-pa55", "ui-pa55", "shell-s3cret", "secure-s3cret", "off-s3cret", "bob-pa55", "carol-pa55"},
			wantFrontends: []string{"relay.example.net:443", "2:fe.example.net:443"},
			wantErrorURLs: []string{"http://errors.example.net/?", "other.example.net:https://errors.example.net/other?"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", tt.dir)
			got, err := ParseDir(dir)
			if err != nil {
				t.Fatalf("ParseDir(%s) error = %v, want nil", dir, err)
			}
			if !reflect.DeepEqual(got.Kites, tt.wantKites) {
				t.Errorf("ParseDir(%s).Kites = %+v, want %+v", dir, got.Kites, tt.wantKites)
			}
			if got.NotConfigured != tt.wantNotConfigured {
				t.Errorf("ParseDir(%s).NotConfigured = %v, want %v", dir, got.NotConfigured, tt.wantNotConfigured)
			}
			if got.Defaults != tt.wantDefaults {
				t.Errorf("ParseDir(%s).Defaults = %v, want %v", dir, got.Defaults, tt.wantDefaults)
			}
			var files []string
			for _, f := range got.Files {
				files = append(files, filepath.Base(f))
			}
			if !reflect.DeepEqual(files, tt.wantFiles) {
				t.Errorf("ParseDir(%s).Files = %q, want %q", dir, files, tt.wantFiles)
			}
			if !reflect.DeepEqual(got.Secrets, tt.wantSecrets) {
				t.Errorf("ParseDir(%s).Secrets = %q, want %q", dir, got.Secrets, tt.wantSecrets)
			}
			if !reflect.DeepEqual(got.Frontends, tt.wantFrontends) {
				t.Errorf("ParseDir(%s).Frontends = %q, want %q", dir, got.Frontends, tt.wantFrontends)
			}
			if !reflect.DeepEqual(got.ErrorURLs, tt.wantErrorURLs) {
				t.Errorf("ParseDir(%s).ErrorURLs = %q, want %q", dir, got.ErrorURLs, tt.wantErrorURLs)
			}
		})
	}
}

// TestParseDirOrder: @kitename is replaced by the value set by an earlier
// line; used before any kitename it is a problem, and later files still parse.
func TestParseDirOrder(t *testing.T) {
	dir := filepath.Join("testdata", "order")
	got, err := ParseDir(dir)
	var perr *Errors
	if !errors.As(err, &perr) {
		t.Fatalf("ParseDir(%s) error = %v, want *Errors", dir, err)
	}
	want := []Problem{{File: filepath.Join(dir, "05_early.rc"), Line: 2, Msg: "service_on: @kitename used before kitename is set"}}
	if !reflect.DeepEqual(perr.Problems, want) {
		t.Errorf("ParseDir(%s) problems = %+v, want %+v", dir, perr.Problems, want)
	}
	wantKites := []Kite{{Name: "late.example.net", Services: []Service{{Proto: "http", Backend: "localhost:8000"}}}}
	if got == nil || !reflect.DeepEqual(got.Kites, wantKites) {
		t.Errorf("ParseDir(%s) = %+v, want kites %+v", dir, got, wantKites)
	}
}

// TestParseDirBad: every bad line is reported with file:line, good lines
// still count, and no secret appears in the error.
func TestParseDirBad(t *testing.T) {
	dir := filepath.Join("testdata", "bad")
	file := filepath.Join(dir, "10_account.rc")
	got, err := ParseDir(dir)
	var perr *Errors
	if !errors.As(err, &perr) {
		t.Fatalf("ParseDir(%s) error = %v, want *Errors", dir, err)
	}
	wantLines := []int{4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
	var lines []int
	for _, p := range perr.Problems {
		if p.File != file {
			t.Errorf("problem %v: File = %q, want %q", p, p.File, file)
		}
		lines = append(lines, p.Line)
	}
	if !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("ParseDir(%s) problem lines = %v, want %v\n%v", dir, lines, wantLines, err)
	}
	for _, want := range []string{
		file + ":4: service_on: same service defined twice: http:good.example.net",
		file + ":5: service_on: want PROTO:DOMAIN:BHOST:BPORT[:SECRET], got 8 fields",
		file + `:9: not an option line`,
		file + `:8: unknown option "frobnicate"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDir(%s) error = %q, want it to contain %q", dir, err, want)
		}
	}
	for _, secret := range append(got.Secrets, "leaked-s3cret-line", "notaport-s3cret", "colons") {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("ParseDir(%s) error contains secret %q:\n%v", dir, secret, err)
		}
	}
	wantKites := []Kite{{Name: "good.example.net", Services: []Service{
		{Proto: "http", Backend: "localhost:80"},
		{Proto: "raw-22", Port: 22, Backend: "localhost:22", PublicPort: 22},
	}}}
	if !reflect.DeepEqual(got.Kites, wantKites) {
		t.Errorf("ParseDir(%s).Kites = %+v, want %+v", dir, got.Kites, wantKites)
	}
	for _, s := range []string{"bad-dir-s3cret", "dup-s3cret", "raw-s3cret"} {
		if !contains(got.Secrets, s) {
			t.Errorf("ParseDir(%s).Secrets lacks %q", dir, s)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestParseDirMissing(t *testing.T) {
	got, err := ParseDir(filepath.Join(t.TempDir(), "nope"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ParseDir(missing) = %v, %v; want nil, an os.ErrNotExist error", got, err)
	}
}

func TestParseFileIncludes(t *testing.T) {
	tmp := t.TempDir()
	sub := filepath.Join(tmp, "d")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(sub, "a.rc"), "service_on = http:inc.example.net:localhost:81:inc-s3cret\n")
	write(t, filepath.Join(tmp, "loop.rc"), "optfile = "+filepath.Join(tmp, "loop.rc")+"\n")
	main := filepath.Join(tmp, "main.rc")
	write(t, main, "optdir = "+sub+"\noptfile = "+filepath.Join(tmp, "loop.rc")+"\n")
	got, err := ParseFile(main)
	var perr *Errors
	if !errors.As(err, &perr) || len(perr.Problems) != 1 || !strings.Contains(perr.Problems[0].Msg, "nested too deep") {
		t.Errorf("ParseFile(main.rc) error = %v, want one 'nested too deep' problem", err)
	}
	want := []Kite{{Name: "inc.example.net", Services: []Service{{Proto: "http", Backend: "localhost:81"}}}}
	if got == nil || !reflect.DeepEqual(got.Kites, want) {
		t.Errorf("ParseFile(main.rc) = %+v, want kites %+v", got, want)
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestParseDirNotRegular: a FIFO named like an rc file is reported as a
// problem at once, never read (it would block for ever); the other files
// are still parsed.
func TestParseDirNotRegular(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "50_fifo.rc"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "80_ok.rc"), []byte("service_on = http:ok.kite.test:localhost:80:s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var cfg *Config
	var err error
	go func() {
		defer close(done)
		cfg, err = ParseDir(dir)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("ParseDir with a FIFO hangs")
	}
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("ParseDir() error = %v, want one naming the FIFO", err)
	}
	if cfg == nil || len(cfg.Kites) != 1 || cfg.Kites[0].Name != "ok.kite.test" {
		t.Errorf("ParseDir() = %+v, want the other file's kite ok.kite.test", cfg)
	}
}
