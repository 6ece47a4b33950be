package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// TestZshCompletion: zsh reads the zsh completion without an error, and
// the .deb installs it in a directory of Debian's zsh's fpath.
func TestZshCompletion(t *testing.T) {
	zsh := pktest.RequireProgram(t, "zsh", "apt-get install -y zsh, or make deps")
	if out, err := exec.Command(zsh, "-n", zshCompletion).CombinedOutput(); err != nil {
		t.Errorf("zsh -n %s: %v\n%s", zshCompletion, err, out)
	}
	dst := debInstallPath(t, zshCompletion)
	out, err := exec.Command(zsh, "-c", `print -l $fpath`).Output()
	if err != nil {
		t.Fatal(err)
	}
	if fpath := strings.Fields(string(out)); !slices.Contains(fpath, filepath.Dir(dst)) {
		t.Errorf("the .deb installs %s in %s, which is not in zsh's fpath %v", zshCompletion, dst, fpath)
	}
}

// TestBashCompletionInstalled: bash-completion's own loader, asked for
// pkwatchdogd's completion as on its first Tab in a new shell, finds the
// script where the .deb installs it (XDG_DATA_DIRS standing for /usr/share).
func TestBashCompletionInstalled(t *testing.T) {
	const loader = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(loader); err != nil {
		pktest.RequireProgram(t, "bash-completion's "+loader, "apt-get install -y bash-completion, or make deps")
	}
	dst := debInstallPath(t, bashCompletion)
	share, ok := strings.CutPrefix(dst, "/usr/share/")
	if !ok {
		t.Fatalf("the .deb installs %s in %s, not under /usr/share", bashCompletion, dst)
	}
	root := t.TempDir()
	data, err := os.ReadFile(bashCompletion)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, filepath.Dir(share)), 0o755); err != nil {
		t.Fatal(err)
	}
	pktest.WriteFile(t, filepath.Join(root, filepath.Dir(share)), filepath.Base(share), string(data))
	cmd := exec.Command("bash", "-c", `source "$1" && __load_completion pkwatchdogd && complete -p pkwatchdogd`, "bash", loader)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + root, "XDG_DATA_DIRS=" + root}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "complete -F _pkwatchdogd pkwatchdogd") {
		t.Errorf("bash-completion loading pkwatchdogd from %s = %v: %q", dst, err, out)
	}
}

// debInstallPath is where packaging/nfpm.yaml installs src (a path
// relative to this directory).
func debInstallPath(t *testing.T, src string) string {
	t.Helper()
	data, err := os.ReadFile("../../packaging/nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rel := strings.TrimPrefix(src, "../../")
	m := regexp.MustCompile(`(?m)^\s*- src: ` + regexp.QuoteMeta(rel) + `\n\s*dst: (\S+)`).FindStringSubmatch(string(data))
	if m == nil {
		t.Fatalf("packaging/nfpm.yaml does not install %s", rel)
	}
	return m[1]
}
