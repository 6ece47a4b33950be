//go:build !race

package faults

// weekDays is how many days the 1000-kite scenario simulates (see
// race_test.go).
const weekDays = 7
