package pktest

import (
	"os"
	"path/filepath"
	"testing"
)

// PyenvVersions are the CPython releases under pyenv that the memory
// reader's tests run, on this machine kind and in CI; Debian's own
// python3.11 is the first interpreter besides them.
var PyenvVersions = []string{"3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0"}

// Interpreter is a CPython to start a test program under.
type Interpreter struct {
	Name string // "debian-3.11", "pyenv-3.12.1"
	Path string
}

// Pythons returns Debian's /usr/bin/python3.11 and each of PyenvVersions
// under $PYENV_ROOT (default /root/.pyenv), skipping (failing under CI)
// for each one that is missing.
func Pythons(t testing.TB) []Interpreter {
	t.Helper()
	var out []Interpreter
	if _, err := os.Stat("/usr/bin/python3.11"); err != nil {
		missing(t, "Debian's python3.11", "apt-get install -y python3.11")
	} else {
		out = append(out, Interpreter{"debian-3.11", "/usr/bin/python3.11"})
	}
	root := os.Getenv("PYENV_ROOT")
	if root == "" {
		root = "/root/.pyenv"
	}
	for _, v := range PyenvVersions {
		p := filepath.Join(root, "versions", v, "bin", "python"+v[:len(v)-len(filepath.Ext(v))])
		if _, err := os.Stat(p); err != nil {
			missing(t, "pyenv's CPython "+v, "pyenv install "+v)
			continue
		}
		out = append(out, Interpreter{"pyenv-" + v, p})
	}
	for _, p := range filepath.SplitList(os.Getenv(ExtraPythonsEnv)) {
		if p != "" {
			out = append(out, Interpreter{"extra-" + filepath.Base(p), p})
		}
	}
	return out
}

// ExtraPythonsEnv names a list of more CPython executables (PATH-style)
// that the memory reader's tests also run, when a developer has them by
// hand (a CPython 3.14, a 32-bit one): optional, never required.
const ExtraPythonsEnv = "PKWATCHDOGD_EXTRA_PYTHONS"
