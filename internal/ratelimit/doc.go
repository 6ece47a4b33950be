// Package ratelimit limits restarts per kite and crash-report uploads per
// machine, and persists both across restarts and reboots.
//
// Window and Upload are pure: they take now and never read the clock. Store
// keeps them in a JSON file, rewritten atomically on every change.
//
// Persisted times are wall-clock times. A time found in the future (the
// wall clock went backwards) counts as "just happened": it is moved to now,
// so a clock jump can delay a restart or an upload, never hasten one.
package ratelimit
