//go:build pkwatchdogd_testhooks

package watchdog

import "os"

// wedgeEnv names the test hook, only in binaries built with the build tag
// pkwatchdogd_testhooks (test/e2e-systemd.sh builds one): the kite it
// names blocks for ever after its first probe, so that the systemd
// watchdog test sees the pings stop.
const wedgeEnv = "PKWATCHDOGD_TEST_WEDGE"

func wedged(kite string) bool { return kite != "" && os.Getenv(wedgeEnv) == kite }
