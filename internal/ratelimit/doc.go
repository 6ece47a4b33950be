// Package ratelimit limits restarts per PageKite instance and crash-report uploads per
// machine, and persists both across restarts and reboots.
//
// Window and Upload are pure: they take now and never read the clock. Store
// keeps them in a JSON file, rewritten atomically on every change.
//
// Persisted times are wall-clock times. A time found in the future (the
// wall clock went backwards) is kept and counts until it is old enough, so
// that a clock stepping back and forth can delay a restart or an upload,
// never hasten one; a time further ahead than one interval is pulled back to
// now plus that interval, so that a wildly wrong clock blocks for at most
// two intervals.
package ratelimit
