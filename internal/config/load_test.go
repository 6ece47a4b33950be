package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// writeConfig writes text to a config file in a temp dir and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	return pktest.WriteFile(t, t.TempDir(), "pkwatchdogd.toml", text)
}

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := validate(&c); err != nil {
		t.Errorf("validate(Default()) = %v, want nil", err)
	}
	if !regexp.MustCompile(c.Restart.ProcessMatch).MatchString("/usr/bin/pagekite --clean") {
		t.Errorf("Default().Restart.ProcessMatch does not match pagekite")
	}
}

// TestExampleFile: the shipped example loads, validates and shows exactly
// the defaults.
func TestExampleFile(t *testing.T) {
	path := filepath.Join("..", "..", "configs", "pkwatchdogd.toml")
	got, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s) error = %v", path, err)
	}
	if want := Default(); !reflect.DeepEqual(*got, want) {
		t.Errorf("Load(%s) = %+v\nwant the defaults %+v", path, *got, want)
	}
}

func TestLoadEmptyFileGivesDefaults(t *testing.T) {
	got, err := Load(writeConfig(t, "# nothing\n"))
	if err != nil {
		t.Fatalf("Load(empty) error = %v", err)
	}
	if want := Default(); !reflect.DeepEqual(*got, want) {
		t.Errorf("Load(empty) = %+v, want %+v", *got, want)
	}
}

func TestLoadValues(t *testing.T) {
	path := writeConfig(t, `
log_level = "debug"
[probe]
interval = "2m"
timeout = "15s"
[policy]
grace_period = "0s"
[restart]
method = "command"
command = ["/bin/systemctl", "restart", "pagekite"]
signal = "abrt"
[report]
url = "http://127.0.0.1:8080/crash"
redact = ["token=\\S+"]
[[kite]]
name = "foo.pagekite.me"
[[kite]]
name = "bar.pagekite.me"
kind = "raw"
port = 22
connect_to = "127.0.0.1:2999"
[[kite]]
name = "baz.pagekite.me"
url = "http://baz.pagekite.me:8080/health"
`)
	got, err := Load(path)
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if got.LogLevel != "debug" || got.Probe.Interval.Duration != 2*time.Minute || got.Probe.Timeout.Duration != 15*time.Second {
		t.Errorf("Load() = %+v, want log_level debug, interval 2m, timeout 15s", got)
	}
	if got.Probe.Concurrency != 16 || got.Policy.Cooldown.Duration != 10*time.Minute {
		t.Errorf("Load() lost defaults: concurrency %d, cooldown %v", got.Probe.Concurrency, got.Policy.Cooldown)
	}
	if got.Policy.GracePeriod.Duration != 0 {
		t.Errorf("Load().Policy.GracePeriod = %v, want 0", got.Policy.GracePeriod)
	}
	wantKites := []Kite{
		{Name: "foo.pagekite.me", URL: "http://foo.pagekite.me/", Kind: "http"},
		{Name: "bar.pagekite.me", Kind: "raw", Port: 22, ConnectTo: "127.0.0.1:2999"},
		{Name: "baz.pagekite.me", URL: "http://baz.pagekite.me:8080/health", Kind: "http"},
	}
	if !reflect.DeepEqual(got.Kites, wantKites) {
		t.Errorf("Load().Kites = %+v, want %+v", got.Kites, wantKites)
	}
	if want := []string{"/bin/systemctl", "restart", "pagekite"}; !reflect.DeepEqual(got.Restart.Command, want) {
		t.Errorf("Load().Restart.Command = %q, want %q", got.Restart.Command, want)
	}
	if sig, err := ParseSignal(got.Restart.Signal); err != nil || sig.String() != "aborted" {
		t.Errorf("ParseSignal(%q) = %v, %v; want SIGABRT", got.Restart.Signal, sig, err)
	}
}

func TestLoadUnknownKeys(t *testing.T) {
	path := writeConfig(t, `
log_levle = "info"
[probe]
intervall = "60s"
[[kite]]
name = "a.example.net"
[[kite]]
name = "b.example.net"
conect_to = "127.0.0.1:80"
[nosuch]
x = 1
`)
	_, err := Load(path)
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Load() error = %v, want *Errors", err)
	}
	var keys []string
	for _, p := range errs.Problems {
		keys = append(keys, p.Key)
		if p.Msg != "unknown key" {
			t.Errorf("problem %v: Msg = %q, want \"unknown key\"", p, p.Msg)
		}
	}
	want := []string{"log_levle", "probe.intervall", "kite[1].conect_to", "nosuch", "nosuch.x"}
	if !reflect.DeepEqual(sorted(keys), sorted(want)) {
		t.Errorf("Load() unknown keys = %q, want %q", keys, want)
	}
	if !strings.Contains(err.Error(), path+": kite[1].conect_to: unknown key") {
		t.Errorf("Load() error = %q, want a line %q", err, path+": kite[1].conect_to: unknown key")
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestLoadSyntaxErrors(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		wantLine int
		wantCol  int
		wantMsg  string // substring
	}{
		{name: "unterminated string", text: "state_dir = \"/x\"\nlog_level = \"info\n", wantLine: 2, wantCol: 18, wantMsg: "log_level: strings cannot contain newlines"},
		{name: "bad value", text: "\n\n[probe]\n  jitter = 0.1.2\n", wantLine: 4, wantCol: 12, wantMsg: "probe.jitter: Invalid float value"},
		{name: "bad duration", text: "[probe]\ninterval = \"6o s\"\n", wantLine: 2, wantCol: 13, wantMsg: "probe.interval: want a duration"},
		{name: "duration without unit", text: "[policy]\n\ncooldown = 600\n", wantLine: 3, wantCol: 12, wantMsg: "policy.cooldown: want a duration"},
		{name: "duplicate key", text: "log_level = \"info\"\nlog_level = \"debug\"\n", wantLine: 2, wantCol: 20, wantMsg: "already been defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.text)
			_, err := Load(path)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Load(%q) error = %v, want *SyntaxError", tt.text, err)
			}
			if se.File != path || se.Line != tt.wantLine || se.Col != tt.wantCol || !strings.Contains(se.Msg, tt.wantMsg) {
				t.Errorf("Load(%q) = %s:%d:%d: %q, want %s:%d:%d: ...%s...", tt.text, se.File, se.Line, se.Col, se.Msg, path, tt.wantLine, tt.wantCol, tt.wantMsg)
			}
			wantPrefix := fmt.Sprintf("%s:%d:%d: ", path, tt.wantLine, tt.wantCol)
			if !strings.HasPrefix(err.Error(), wantPrefix) {
				t.Errorf("Load(%q) error = %q, want prefix %q", tt.text, err, wantPrefix)
			}
		})
	}
}

func TestLoadWrongType(t *testing.T) {
	path := writeConfig(t, "[probe]\nconcurrency = \"many\"\n")
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "probe.concurrency") {
		t.Errorf("Load(concurrency = \"many\") error = %v, want one naming the file and probe.concurrency", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) error = %v, want fs.ErrNotExist", err)
	}
}

// TestLoadHostileFiles: a FIFO, a device, a huge file and pathological
// nesting are refused at once with a clear error, in bounded time.
func TestLoadHostileFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.toml")
	if err := os.WriteFile(huge, bytes.Repeat([]byte("# padding\n"), MaxConfigSize/10+1), 0o600); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(dir, "nested.toml")
	if err := os.WriteFile(nested, []byte("x = "+strings.Repeat("{a = ", 3000)+"1"+strings.Repeat("}", 3000)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	brackets := filepath.Join(dir, "brackets.toml")
	if err := os.WriteFile(brackets, bytes.Repeat([]byte("["), MaxConfigSize-1), 0o600); err != nil {
		t.Fatal(err)
	}
	// Dotted keys nest as deeply (#23): a header and a key of 20,000 parts.
	dottedHeader := filepath.Join(dir, "dotted-header.toml")
	if err := os.WriteFile(dottedHeader, []byte("["+strings.Repeat("a.", 20000)+"a]\nx = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dottedKey := filepath.Join(dir, "dotted-key.toml")
	if err := os.WriteFile(dottedKey, []byte(strings.Repeat("a.", 20000)+"a = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dottedInline := filepath.Join(dir, "dotted-inline.toml")
	if err := os.WriteFile(dottedInline, []byte("x = {"+strings.Repeat("a.", 20000)+"a = 1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Brackets inside strings and comments do not count, nor dots in
	// values, in quoted keys or across lines.
	fine := filepath.Join(dir, "fine.toml")
	body := "# [[[[[[[[[[[[[[[[[[[[[[\n[report]\nredact = ['[[[[[[[[[[[[[[[[[[[[', \"\\\"[[[[[[[[[[[[[[[[[[[[\", '''\n[[[[[[[[[[[[[[[[[[[[\n''', '1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18']\n" +
		"[probe]\njitter = 0.1\n\"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r\" = 1\n"
	if err := os.WriteFile(fine, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path, want string
	}{
		{fifo, "not a regular file"},
		{"/dev/zero", "not a regular file"},
		{huge, "too large"},
		{nested, "nest deeper than"},
		{brackets, "nest deeper than"},
		{dottedHeader, "nest deeper than"},
		{dottedKey, "nest deeper than"},
		{dottedInline, "nest deeper than"},
	} {
		start := time.Now()
		_, err := Load(tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%s) = %v, want an error with %q", tt.path, err, tt.want)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Load(%s) took %v", tt.path, d)
		}
	}
	if _, err := Load(fine); err != nil && strings.Contains(err.Error(), "nest") {
		t.Errorf("Load(brackets in strings and comments) = %v", err)
	}
}

// TestOpenWrtFile: the config the .ipk installs loads and validates, and
// describes one pagekitec instance.
func TestOpenWrtFile(t *testing.T) {
	path := filepath.Join("..", "..", "configs", "openwrt.toml")
	got, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s) error = %v", path, err)
	}
	specs := got.Specs()
	if len(specs) != 1 || specs[0].Kind != pagekite.C || specs[0].Restart.PIDFile != "/var/run/pagekitec.pid" || len(specs[0].Restart.StartCommand) == 0 {
		t.Errorf("Load(%s).Specs() = %+v, want one pagekitec instance with its pid file and start command", path, specs)
	}
}
