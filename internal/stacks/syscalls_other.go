//go:build !amd64 && !arm64 && !arm && !mips && !mipsle && !386

package stacks

// extraSyscalls: this architecture gets the common table only.
var extraSyscalls = map[uintptr]string{}
