package pktest

import (
	"os"
	"os/exec"
	"testing"
)

// RequireAllEnv names the environment variable that turns a missing
// prerequisite from a skip into a failure. .ci/run sets it to 1.
const RequireAllEnv = "PKWATCHDOGD_REQUIRE_ALL"

// missing skips the test, or fails it when RequireAllEnv is set, saying what
// is missing and how to get it.
func missing(t testing.TB, what, fix string) {
	t.Helper()
	if os.Getenv(RequireAllEnv) == "1" {
		t.Fatalf("%s is required (%s=1): %s", what, RequireAllEnv, fix)
	}
	t.Skipf("SKIPPED: %s is missing: %s (set %s=1 to make this a failure)", what, fix, RequireAllEnv)
}

// PagekiteBinary returns the path of Debian's pagekite, or skips/fails the
// test when it is not installed.
func PagekiteBinary(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("pagekite")
	if err != nil {
		missing(t, "Debian's pagekite", "apt-get install -y pagekite")
	}
	return p
}

// RequireRoot skips/fails the test unless it runs as root (signalling other
// users' processes, reading their /proc entries, namespaces).
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "root", "run the tests as root (sudo make test)")
	}
}
