package stacks

import "golang.org/x/sys/unix"

var extraSyscalls = map[uintptr]string{
	unix.SYS_POLL: "poll", unix.SYS_SELECT: "select", unix.SYS_EPOLL_WAIT: "epoll_wait", unix.SYS_PAUSE: "pause",
	unix.SYS_OPEN: "open", unix.SYS_ACCEPT: "accept",
}
