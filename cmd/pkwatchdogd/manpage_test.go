package main

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// The manual pages, beside the code, and the shipped config they describe.
const (
	manPage8    = "man/pkwatchdogd.8"
	manPage5    = "man/pkwatchdogd.toml.5"
	shippedConf = "../../configs/pkwatchdogd.toml"
	topSection  = "Top-level keys" // the .Ss of pkwatchdogd.toml(5) for keys outside any table
)

// mdocItems reads an mdoc page's ".It MACRO a , b" items: for each .Sh (and
// .Ss, when bySub), the words the items name, in order, each with the
// source lines up to the next item of that macro or the next section.
func mdocItems(t *testing.T, path, macro string, bySub bool) (names map[string][]string, blocks map[string]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	names, blocks = map[string][]string{}, map[string]string{}
	section, current := "", ""
	for line := range strings.SplitSeq(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, ".Sh "), bySub && strings.HasPrefix(line, ".Ss "):
			section, current = strings.TrimSuffix(strings.Trim(line[4:], `"`), `\&`), ""
			continue
		case strings.HasPrefix(line, ".It "+macro+" "):
			f := strings.Fields(line)
			current = ""
			for i := 2; i < len(f); i++ {
				if f[i] == "," {
					continue
				}
				if len(f[i]) > 0 && f[i][0] >= 'A' && f[i][0] <= 'Z' { // the next macro: No, Oo, Op...
					break
				}
				names[section] = append(names[section], f[i])
				if current == "" {
					current = section + "/" + f[i]
				}
			}
		}
		if current != "" {
			blocks[current] += line + "\n"
		}
	}
	return names, blocks
}

// TestManPagesNameEveryCommandFlagAndExitStatus: pkwatchdogd(8) has an
// item for every command of the commands table, which names each flag
// the command's flag set defines, and an item for every exit status
// constant of cli.go. One way only, code → page: the page may name
// more (a command that another branch adds).
func TestManPagesNameEveryCommandFlagAndExitStatus(t *testing.T) {
	names, blocks := mdocItems(t, manPage8, "Cm", false)
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			block, ok := blocks["COMMANDS/"+c.name]
			if !ok {
				t.Fatalf("%s: no .It Cm %s in COMMANDS (has %v)", manPage8, c.name, names["COMMANDS"])
			}
			fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
			c.setup(fs)
			fs.VisitAll(func(f *flag.Flag) {
				if !regexp.MustCompile(`\bFl -` + regexp.QuoteMeta(f.Name) + `(\s|$)`).MatchString(block) {
					t.Errorf("%s: the item of %s does not name its flag --%s (Fl -%s)", manPage8, c.name, f.Name, f.Name)
				}
			})
		})
	}

	data, err := os.ReadFile(manPage8)
	if err != nil {
		t.Fatal(err)
	}
	exitSection := string(data)[strings.Index(string(data), ".Sh EXIT STATUS"):]
	exitSection = exitSection[:strings.Index(exitSection[1:], ".Sh ")+1]
	for name, value := range exitConstants(t) {
		if !strings.Contains(exitSection, "\n.It "+strconv.Itoa(value)+"\n") {
			t.Errorf("%s: EXIT STATUS has no item for %s = %d", manPage8, name, value)
		}
	}
	for _, sig := range []string{"SIGHUP", "SIGTERM", "SIGINT"} {
		if !strings.Contains(string(data), ".It Dv "+sig) && !strings.Contains(string(data), ", Dv "+sig) {
			t.Errorf("%s: SIGNALS does not name %s", manPage8, sig)
		}
	}
}

// exitConstants reads cli.go's exit statuses (the constants named exit*)
// from its source.
func exitConstants(t *testing.T) map[string]int {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "cli.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Values) != len(vs.Names) {
			return true
		}
		for i, id := range vs.Names {
			lit, ok := vs.Values[i].(*ast.BasicLit)
			if !strings.HasPrefix(id.Name, "exit") || !ok || lit.Kind != token.INT {
				continue
			}
			v, _ := strconv.Atoi(lit.Value)
			out[id.Name] = v
		}
		return true
	})
	if len(out) < 5 {
		t.Fatalf("found %d exit constants in cli.go (%v), want the 7 or more", len(out), out)
	}
	return out
}

// configKeys are the keys of the config's types (toml tags), by the
// section of pkwatchdogd.toml(5) they belong in: topSection, "[probe]",
// "[[pagekite]]"...
func configKeys() map[string][]string {
	out := map[string][]string{}
	ct := reflect.TypeFor[config.Config]()
	for i := range ct.NumField() {
		f := ct.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		var section string
		var inner reflect.Type
		switch {
		case f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[config.Duration]():
			section, inner = "["+tag+"]", f.Type
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			section, inner = "[["+tag+"]]", f.Type.Elem()
		default:
			out[topSection] = append(out[topSection], tag)
			continue
		}
		for j := range inner.NumField() {
			key, _, _ := strings.Cut(inner.Field(j).Tag.Get("toml"), ",")
			if key != "" && key != "-" {
				out[section] = append(out[section], key)
			}
		}
	}
	return out
}

// shippedKey is one key set in the shipped config, with the TOML literal
// of its default as written there.
type shippedKey struct {
	section, key, literal string
}

// shippedKeys reads configs/pkwatchdogd.toml's keys in order (TOML's own
// parser) and their literals (the text after "=" on the key's line).
func shippedKeys(t *testing.T) []shippedKey {
	t.Helper()
	data, err := os.ReadFile(shippedConf)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	md, err := toml.Decode(string(data), &v)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var out []shippedKey
	next := 0 // the keys are in the file's order: each one's line is found after the last
	for _, k := range md.Keys() {
		if md.Type(k...) == "Hash" {
			continue
		}
		sk := shippedKey{section: topSection, key: k[len(k)-1]}
		if len(k) == 2 {
			sk.section = "[" + k[0] + "]"
		}
		re := regexp.MustCompile(`^` + regexp.QuoteMeta(sk.key) + `\s*=\s*(.*?)\s*$`)
		for ; next < len(lines); next++ {
			if m := re.FindStringSubmatch(lines[next]); m != nil {
				sk.literal = m[1]
				break
			}
		}
		if sk.literal == "" {
			t.Fatalf("%s: no line for key %v", shippedConf, k)
		}
		out = append(out, sk)
	}
	if len(out) < 50 {
		t.Fatalf("%s: %d keys read, want every key of the shipped config", shippedConf, len(out))
	}
	return out
}

// TestManPagesNameEveryConfigKey: pkwatchdogd.toml(5) names every key of
// the shipped config in its section, in the config's order, shown (as
// mandoc renders it) with the config's default, and every key of the
// config's types, [[pagekite]] and [[kite]] included.
func TestManPagesNameEveryConfigKey(t *testing.T) {
	names, _ := mdocItems(t, manPage5, "Ic", true)
	t.Run("config types", func(t *testing.T) {
		for section, keys := range configKeys() {
			for _, k := range keys {
				if !slices.Contains(names[section], k) {
					t.Errorf("%s: section %s does not name key %s (has %v)", manPage5, section, k, names[section])
				}
			}
		}
	})
	shipped := shippedKeys(t)
	t.Run("shipped config order", func(t *testing.T) {
		bySection := map[string][]string{}
		for _, k := range shipped {
			bySection[k.section] = append(bySection[k.section], k.key)
		}
		for section, want := range bySection {
			var got []string
			for _, k := range names[section] {
				if slices.Contains(want, k) {
					got = append(got, k)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: section %s names %v, want the config's %v", manPage5, section, got, want)
			}
		}
	})
	t.Run("defaults", func(t *testing.T) {
		rendered := renderMan(t, manPage5)
		section := ""
		seen := map[string]string{} // section/key → "key = literal" as rendered
		for line := range strings.SplitSeq(rendered, "\n") {
			if strings.HasPrefix(line, "   ") && !strings.HasPrefix(line, "    ") {
				section = strings.TrimSpace(line)
			}
			if strings.HasPrefix(line, "     ") && !strings.HasPrefix(line, "      ") {
				if key, _, ok := strings.Cut(strings.TrimSpace(line), " = "); ok {
					seen[section+"/"+key] = strings.TrimSpace(line)
				}
			}
		}
		for _, k := range shipped {
			want := k.key + " = " + k.literal
			if got := seen[k.section+"/"+k.key]; got != want {
				t.Errorf("%s: %s %s is shown as %q, want %q (the shipped config's default)", manPage5, k.section, k.key, got, want)
			}
		}
	})
}

// renderMan renders a page with mandoc as plain text, lines unwrapped.
func renderMan(t *testing.T, path string) string {
	t.Helper()
	mandoc := pktest.RequireProgram(t, "mandoc", "apt-get install -y mandoc, or make deps")
	out, err := exec.Command(mandoc, "-Tascii", "-Owidth=300", path).Output()
	if err != nil {
		t.Fatalf("mandoc -Tascii %s: %v", path, err)
	}
	// -Tascii shows bold and underline by overstriking: keep the letters.
	return regexp.MustCompile(".\b").ReplaceAllString(string(out), "")
}

// TestManPagesLint: mandoc -Tlint finds nothing in either page, style
// notes included, but for its look-ups of the pages they refer to
// (pagekite(1), journalctl(1), each other), whose answer depends on what
// this machine has installed and indexed, not on the pages.
func TestManPagesLint(t *testing.T) {
	mandoc := pktest.RequireProgram(t, "mandoc", "apt-get install -y mandoc, or make deps")
	lookup := regexp.MustCompile(`STYLE: referenced manual not found|mandoc\.db`)
	for _, p := range []string{manPage8, manPage5} {
		t.Run(p, func(t *testing.T) {
			out, _ := exec.Command(mandoc, "-Tlint", p).CombinedOutput()
			var notes []string
			for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
				if line != "" && !lookup.MatchString(line) {
					notes = append(notes, line)
				}
			}
			if len(notes) > 0 {
				t.Errorf("mandoc -Tlint %s:\n%s", p, strings.Join(notes, "\n"))
			}
		})
	}
}
