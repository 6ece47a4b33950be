package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

const (
	bashCompletion = "../../packaging/completion/pkwatchdogd.bash"
	zshCompletion  = "../../packaging/completion/_pkwatchdogd"
)

// complete drives the bash completion for real: bash sources the script,
// sets COMP_WORDS and COMP_CWORD to words (the last one the word being
// completed, "" for a Tab after a space), calls the function that
// `complete -p pkwatchdogd` names, and prints COMPREPLY.
func complete(t *testing.T, dir string, words ...string) []string {
	t.Helper()
	script := `set -u
source "$1"
shift
spec=$(complete -p pkwatchdogd) || exit 3
fn=${spec#*-F }; fn=${fn%% *}
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
"$fn" pkwatchdogd "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
`
	abs, err := filepath.Abs(bashCompletion)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pktest.RequireProgram(t, "bash", "apt-get install -y bash"), append([]string{"-c", script, "bash", abs}, words...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("completing %q: %v", words, err)
	}
	return strings.Fields(string(out))
}

// TestBashCompletion: Tab offers every command of the commands table,
// every flag of each command's flag set, the config's [[pagekite]] names
// after --pagekite and its [[kite]] names after --kite (from the config
// that --config names), and config files after --config.
func TestBashCompletion(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "site.toml")
	body := `state_dir = "/var/lib/pkwatchdogd"
[probe]
interval = "60s"

[[pagekite]]
name = "main"
rc_dir = "/etc/pagekite.d"

[[pagekite]]
  name   =   'router'   # pagekitec
kind = "pagekitec"

[[kite]]
name = "foo.pagekite.me"
pagekite = "main"

[ [kite] ]
name = "bar.pagekite.me"
pagekite = "router"
`
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("commands", func(t *testing.T) {
		got := complete(t, dir, "pkwatchdogd", "")
		for _, c := range commands() {
			if !slices.Contains(got, c.name) {
				t.Errorf("complete(pkwatchdogd ⇥) = %v, want %s in it", got, c.name)
			}
		}
		if got := complete(t, dir, "pkwatchdogd", "va"); !slices.Equal(got, []string{"validate"}) {
			t.Errorf("complete(pkwatchdogd va⇥) = %v, want [validate]", got)
		}
		if got := complete(t, dir, "pkwatchdogd", "help", "st"); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"stacks", "status"}) {
			t.Errorf("complete(pkwatchdogd help st⇥) = %v, want [stacks status]", got)
		}
		if got := complete(t, dir, "pkwatchdogd", "--v"); !slices.Equal(got, []string{"--version"}) {
			t.Errorf("complete(pkwatchdogd --v⇥) = %v, want [--version]", got)
		}
	})
	for _, c := range commands() {
		t.Run("flags of "+c.name, func(t *testing.T) {
			fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
			c.setup(fs)
			got := complete(t, dir, "pkwatchdogd", c.name, "--config", conf, "-")
			fs.VisitAll(func(f *flag.Flag) {
				if !slices.Contains(got, "--"+f.Name) {
					t.Errorf("complete(pkwatchdogd %s -⇥) = %v, want --%s in it", c.name, got, f.Name)
				}
			})
		})
	}
	for _, tc := range []struct {
		words []string
		want  []string
	}{
		{[]string{"stacks", "--config", conf, "--pagekite", ""}, []string{"main", "router"}},
		{[]string{"--config=" + conf, "stacks", "--pagekite", "r"}, []string{"router"}},
		{[]string{"report", "--config", conf, "--dry-run", "--kite", ""}, []string{"bar.pagekite.me", "foo.pagekite.me"}},
		{[]string{"report", "--config", filepath.Join(dir, "missing.toml"), "--kite", ""}, nil},
		{[]string{"check", "--config", filepath.Join(dir, "s")}, []string{conf}},
	} {
		t.Run(strings.Join(tc.words, " "), func(t *testing.T) {
			words := append([]string{"pkwatchdogd"}, tc.words...)
			got := complete(t, dir, words...)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("complete(%q) = %v, want %v", words, got, tc.want)
			}
		})
	}
}

// TestZshCompletionParses: zsh reads the zsh completion without an error.
func TestZshCompletionParses(t *testing.T) {
	zsh := pktest.RequireProgram(t, "zsh", "apt-get install -y zsh, or make deps")
	if out, err := exec.Command(zsh, "-n", zshCompletion).CombinedOutput(); err != nil {
		t.Errorf("zsh -n %s: %v\n%s", zshCompletion, err, out)
	}
}
