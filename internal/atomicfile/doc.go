// Package atomicfile replaces files atomically: a reader sees the old content
// or the new, never a mix, and a crash never leaves a half-written file.
package atomicfile
