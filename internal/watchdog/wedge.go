//go:build !pkwatchdogd_testhooks

package watchdog

// wedgeEnv names the test hook of binaries built with the build tag
// pkwatchdogd_testhooks (wedge_testhooks.go). The shipped binary has no
// such hook: wedged is always false.
const wedgeEnv = "PKWATCHDOGD_TEST_WEDGE"

func wedged(string) bool { return false }
