// Package pktest starts real PageKite relays, kites and local servers on
// loopback for pkwatchdogd's tests, and ends them by PID when the test ends.
//
// Tests that need something this machine lacks (the pagekite package, root)
// call the Require helpers: they skip with a loud message on a developer's
// machine, and fail when PKWATCHDOGD_REQUIRE_ALL=1 (set by .ci/run), so that
// CI can never pass by silently skipping the real-process tests.
package pktest
