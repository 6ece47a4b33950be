package stacks

import "golang.org/x/sys/unix"

var extraSyscalls = map[uintptr]string{
	unix.SYS_POLL: "poll", unix.SYS__NEWSELECT: "select", unix.SYS_EPOLL_WAIT: "epoll_wait", unix.SYS_PAUSE: "pause",
	unix.SYS_OPEN: "open", unix.SYS_SOCKETCALL: "socketcall",
	unix.SYS_FUTEX_TIME64: "futex_time64", unix.SYS_CLOCK_NANOSLEEP_TIME64: "clock_nanosleep_time64",
	unix.SYS_PPOLL_TIME64: "ppoll_time64", unix.SYS_PSELECT6_TIME64: "pselect6_time64",
}
