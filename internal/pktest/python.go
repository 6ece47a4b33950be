package pktest

import (
	"os"
	"path/filepath"
	"runtime"
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

// Py32DirEnv names the folder where test/py32.sh (make deps) unpacks the
// 32-bit CPythons, when not DefaultPy32Dir; the script reads it too.
const Py32DirEnv = "PKWATCHDOGD_PY32_DIR"

// DefaultPy32Dir is test/py32.sh's folder unless Py32DirEnv says another.
const DefaultPy32Dir = "/var/cache/pkwatchdogd-py32"

// py32Dir is the folder of the 32-bit CPythons.
func py32Dir() string {
	if d := os.Getenv(Py32DirEnv); d != "" {
		return d
	}
	return DefaultPy32Dir
}

// PythonI386 returns Debian's i386 python3.11 as test/py32.sh unpacked it:
// Path is the wrapper that runs it through its folder's own ld-linux.so.2
// (/proc/PID/exe is then ld.so), Exe the ELF file it runs. It skips (fails
// under CI) where the folder is missing, and skips on a machine that runs
// no i386 program (neither amd64 nor 386).
func PythonI386(t testing.TB) (in Interpreter, exe string) {
	t.Helper()
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "386" {
		t.Skipf("SKIPPED: the i386 python3.11 runs on amd64 and i386 machines only, not %s", runtime.GOARCH)
	}
	dir := filepath.Join(py32Dir(), "i386")
	in = Interpreter{"debian-i386-3.11", filepath.Join(dir, "python3.11")}
	exe = filepath.Join(dir, "usr", "bin", "python3.11")
	for _, p := range []string{in.Path, exe} {
		if _, err := os.Stat(p); err != nil {
			missing(t, "Debian's i386 python3.11 in "+dir, "bash test/py32.sh (make deps), as root")
		}
	}
	return in, exe
}

// PythonArmhfELF returns the path of Debian's armhf python3.11 ELF file as
// test/py32.sh unpacked it (not to run: to read), skipping (failing under
// CI) where it is missing.
func PythonArmhfELF(t testing.TB) string {
	t.Helper()
	p := filepath.Join(py32Dir(), "armhf", "usr", "bin", "python3.11")
	if _, err := os.Stat(p); err != nil {
		missing(t, "Debian's armhf python3.11 in "+filepath.Dir(p), "bash test/py32.sh (make deps), as root")
	}
	return p
}
