//go:build race

package redact

// raceEnabled: the race detector slows code unevenly, so timing ratios
// are not checked under it.
const raceEnabled = true
