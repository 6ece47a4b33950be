package watchdog

import (
	"time"

	"golang.org/x/sys/unix"
)

// Clocks reads CLOCK_BOOTTIME (counts time spent suspended) and
// CLOCK_MONOTONIC (does not). Tests inject their own.
type Clocks func() (boot, mono time.Duration)

// SystemClocks reads the kernel's clocks.
func SystemClocks() (boot, mono time.Duration) {
	var b, m unix.Timespec
	// These clocks exist on every Linux this runs on; a failure leaves a
	// zero reading, which the detector treats as "no sleep".
	_ = unix.ClockGettime(unix.CLOCK_BOOTTIME, &b)
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &m)
	return time.Duration(b.Nano()), time.Duration(m.Nano())
}

// sleepDetector notices that the machine slept (suspend/resume) between two
// checks: CLOCK_BOOTTIME advanced by more than CLOCK_MONOTONIC plus a
// threshold. Evidence gathered before a sleep is stale: the kites are then
// re-baselined instead of acted upon.
type sleepDetector struct {
	read      Clocks
	threshold time.Duration
	boot      time.Duration
	mono      time.Duration
}

func newSleepDetector(read Clocks, threshold time.Duration) *sleepDetector {
	d := &sleepDetector{read: read, threshold: threshold}
	d.boot, d.mono = read()
	return d
}

// check returns how long the machine slept since the previous check, and
// whether that exceeds the threshold.
func (d *sleepDetector) check() (time.Duration, bool) {
	boot, mono := d.read()
	slept := (boot - d.boot) - (mono - d.mono)
	d.boot, d.mono = boot, mono
	return slept, slept > d.threshold
}
