package discover

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/redact"
)

// TestSecretsWithSeparators: what a user wrote where a secret goes is
// learned whole, whatever separators it holds (':', '/', ',', '=', spaces
// where the format allows them) and whether or not PageKite accepts the
// line (#30 item 1): every secret-bearing line of an rc file, pagekitec's
// SECRET positions and the UCI file's kitesecret. A report redacted with
// what Secrets learned then holds no piece of any of them, wherever it
// quotes them.
func TestSecretsWithSeparators(t *testing.T) {
	type form struct {
		name   string
		spaces bool                              // the format allows spaces in the secret
		rc     func(i int, secret string) string // an rc line, or ""
		argv   func(i int, secret string) []string
		uci    func(secret string) string
	}
	forms := []form{
		{name: "service_on", spaces: true, rc: func(i int, s string) string {
			return fmt.Sprintf("service_on = http:s%d.kite.test:localhost:80:%s", i, s)
		}},
		{name: "service_off", spaces: true, rc: func(i int, s string) string {
			return fmt.Sprintf("service_off = http:o%d.kite.test:localhost:80:%s", i, s)
		}},
		{name: "kitesecret", spaces: true, rc: func(_ int, s string) string { return "kitesecret = " + s }},
		{name: "secret (not an option)", spaces: true, rc: func(_ int, s string) string { return "secret = " + s }},
		{name: "domain", spaces: true, rc: func(i int, s string) string {
			return fmt.Sprintf("domain = http:d%d.kite.test:%s", i, s)
		}},
		{name: "service_cfg password", spaces: true, rc: func(i int, s string) string {
			return fmt.Sprintf("service_cfg = c%d.kite.test/80:password/bob:%s", i, s)
		}},
		{name: "httppass", spaces: true, rc: func(_ int, s string) string { return "httppass = " + s }},
		{name: "dyndns", rc: func(_ int, s string) string { return "dyndns = bob:" + s + "@pagekite.net" }},
		{name: "pagekitec SECRET", spaces: true, argv: func(i int, s string) []string {
			return []string{"/usr/bin/pagekitec", "-F", "127.0.0.1", "80", "http", fmt.Sprintf("p%d.kite.test", i), "80", s}
		}},
		{name: "UCI kitesecret", spaces: true, uci: func(s string) string {
			return "config pagekitec 'pagekitec'\n\toption kitename 'u.kite.test'\n\toption kitesecret '" +
				strings.ReplaceAll(s, "'", `'\''`) + "'\n\toption simple_http '0'\n"
		}},
		{name: "UCI kitesecret, double quotes", spaces: true, uci: func(s string) string {
			return "config pagekitec 'pagekitec'\n\toption kitename 'u.kite.test'\n\toption kitesecret \"" + s + "\"\n\toption simple_http '1'\n"
		}},
	}
	for _, f := range forms {
		for i, sep := range []string{":", "/", ",", "=", " ", "'"} {
			if sep == " " && !f.spaces || sep == "'" && f.uci == nil {
				continue
			}
			// Three distinct parts, each of which a report must lose too.
			parts := []string{fmt.Sprintf("Qa%dx", i), fmt.Sprintf("Zb%dy", i), fmt.Sprintf("Wc%dz", i)}
			secret := strings.Join(parts, sep)
			t.Run(fmt.Sprintf("%s %q", f.name, sep), func(t *testing.T) {
				dir := t.TempDir()
				c := config.Default()
				c.Discovery.PagekiteDir = filepath.Join(dir, "pagekite.d")
				if err := os.Mkdir(c.Discovery.PagekiteDir, 0o755); err != nil {
					t.Fatal(err)
				}
				var argvs [][]string
				var quoted string // how the secret's line reads in a log or a traceback
				switch {
				case f.rc != nil:
					quoted = f.rc(i, secret)
					write(t, filepath.Join(c.Discovery.PagekiteDir, "10_a.rc"), quoted+"\n")
				case f.argv != nil:
					argv := f.argv(i, secret)
					argvs = append(argvs, argv)
					quoted = "cmdline=" + strings.Join(argv, " ")
				case f.uci != nil:
					c.Discovery.UCIFile = filepath.Join(dir, "pagekitec")
					write(t, c.Discovery.UCIFile, f.uci(secret))
					quoted = "uci: option kitesecret " + secret
				}
				got := Secrets(&c, standIn(argvs...))
				if !slices.Contains(got, secret) {
					t.Errorf("Secrets() = %q, want it to hold %q", got, secret)
				}
				red := redact.New(redact.Options{Secrets: got})
				text := "pagekite: bad line: " + quoted + "\nlater: " + secret + " again\n"
				out := red.String(text)
				for _, p := range parts {
					if strings.Contains(out, p) {
						t.Errorf("String(%q) = %q, kept %q of the secret", text, out, p)
					}
				}
				if l := red.Log(text); strings.Contains(l, parts[0]) || strings.Contains(l, parts[2]) {
					t.Errorf("Log(%q) = %q, kept a piece of the secret", text, l)
				}
			})
		}
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSecretsOfConfigURLs: the config's URLs are known secrets too (#30
// item 2): report.url's and the kites' passwords, query values and
// fragments, so that a report loses them in any shape.
func TestSecretsOfConfigURLs(t *testing.T) {
	c := config.Default()
	c.Discovery.PagekiteDir = filepath.Join(t.TempDir(), "none")
	c.Report.URL = "https://collector.example/up?key=kEy7secret&v=1#fRag7frag"
	c.Kites = []config.Kite{{Name: "a.kite.test", URL: "http://uSer:pAss8word@a.kite.test/x?tok=t0kenValue8"}}
	got := Secrets(&c, standIn())
	for _, want := range []string{"kEy7secret", "fRag7frag", "pAss8word", "t0kenValue8"} {
		if !slices.Contains(got, want) {
			t.Errorf("Secrets() = %q, want it to hold %q", got, want)
		}
	}
	if slices.Contains(got, "1") {
		t.Errorf("Secrets() = %q, holds the short value \"1\" (it would match ordinary text)", got)
	}
	text := "note: KEY7SECRET, t0kenValue8%21 and p&#65;ss8word\n"
	if out := redact.New(redact.Options{Secrets: got}).String(text); strings.Contains(strings.ToLower(out), "key7secret") ||
		strings.Contains(out, "t0kenValue8") || strings.Contains(out, "ss8word") {
		t.Errorf("String(%q) = %q, kept a URL secret", text, out)
	}
}
