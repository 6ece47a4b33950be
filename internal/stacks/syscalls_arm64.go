package stacks

import "golang.org/x/sys/unix"

var extraSyscalls = map[uintptr]string{unix.SYS_ACCEPT: "accept"}
