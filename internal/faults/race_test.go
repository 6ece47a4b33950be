//go:build race

package faults

// weekDays is how many days the 1000-kite scenario simulates. Under the race
// detector the loop's status publishing (a sorted list of every kite, up to
// once a second of fake time) makes a full week take about a minute, so the
// race build simulates fewer days with the same kites and fault density.
const weekDays = 3
