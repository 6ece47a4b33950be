package pkconfig

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// TestAgainstPagekite checks the parser against Debian's real pagekite.py:
// `pagekite --clean --optdir=DIR --settings` prints the configuration it
// read, in rc form (services re-ordered, @kitename put back). Parsing that
// output and parsing DIR must give the same services and secrets.
func TestAgainstPagekite(t *testing.T) {
	bin := pktest.PagekiteBinary(t)
	for _, dir := range []string{"configured", "multi"} {
		t.Run(dir, func(t *testing.T) {
			abs, err := filepath.Abs(filepath.Join("testdata", dir))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "--clean", "--optdir="+abs, "--settings")
			cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("pagekite --settings: %v", err)
			}
			settings := filepath.Join(t.TempDir(), "settings.rc")
			write(t, settings, string(out))

			fromPagekite, err := ParseFile(settings)
			if err != nil {
				t.Fatalf("ParseFile(pagekite's settings) error = %v\n%s", err, out)
			}
			ours, err := ParseDir(abs)
			if err != nil {
				t.Fatalf("ParseDir(%s) error = %v", dir, err)
			}
			if got, want := flatten(ours), flatten(fromPagekite); !reflect.DeepEqual(got, want) {
				t.Errorf("ParseDir(%s) services = %q, want pagekite's %q", dir, got, want)
			}
			if len(flatten(ours)) == 0 {
				t.Errorf("ParseDir(%s) found no services", dir)
			}
			for i, s := range fromPagekite.Secrets {
				if !contains(ours.Secrets, s) {
					// Do not print the secret itself, even a test one.
					t.Errorf("ParseDir(%s).Secrets lacks pagekite.py's secret #%d", dir, i)
				}
			}
		})
	}
}

// TestPagekiteRejectsStock: the stock Debian files make pagekite.py refuse to
// start, which is what NotConfigured means.
func TestPagekiteRejectsStock(t *testing.T) {
	bin := pktest.PagekiteBinary(t)
	abs, err := filepath.Abs(filepath.Join("testdata", "debian-stock"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--clean", "--optdir="+abs, "--settings")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("pagekite --settings on the stock files succeeded, want an error:\n%s", out)
	}
	cfg, err := ParseDir(abs)
	if err != nil || !cfg.NotConfigured {
		t.Errorf("ParseDir(debian-stock) = %+v, %v; want NotConfigured", cfg, err)
	}
}

// flatten lists "KITE PROTO BACKEND" for every service, sorted.
func flatten(c *Config) []string {
	var out []string
	for _, k := range c.Kites {
		for _, s := range k.Services {
			out = append(out, k.Name+" "+s.Proto+" "+s.Backend)
		}
	}
	sort.Strings(out)
	return out
}
