package stacks

import "golang.org/x/sys/unix"

// syscallNames names the system calls a wedged PageKite is found blocked
// in, by this build's architecture (the numbers come from x/sys/unix, per
// GOARCH; extraSyscalls adds the ones only some architectures have). A
// process of another architecture (a 32-bit PageKite on a 64-bit kernel)
// gets "syscall N", never a wrong name (ReadThreads compares the ELF
// headers of both executables).
var syscallNames = func() map[uintptr]string {
	m := map[uintptr]string{
		unix.SYS_READ: "read", unix.SYS_WRITE: "write", unix.SYS_READV: "readv", unix.SYS_WRITEV: "writev",
		unix.SYS_PPOLL: "ppoll", unix.SYS_PSELECT6: "pselect6", unix.SYS_EPOLL_PWAIT: "epoll_pwait", unix.SYS_EPOLL_PWAIT2: "epoll_pwait2",
		unix.SYS_FUTEX: "futex", unix.SYS_NANOSLEEP: "nanosleep", unix.SYS_CLOCK_NANOSLEEP: "clock_nanosleep",
		unix.SYS_ACCEPT4: "accept4", unix.SYS_CONNECT: "connect", unix.SYS_RECVFROM: "recvfrom", unix.SYS_RECVMSG: "recvmsg",
		unix.SYS_SENDTO: "sendto", unix.SYS_SENDMSG: "sendmsg", unix.SYS_WAIT4: "wait4", unix.SYS_WAITID: "waitid",
		unix.SYS_RT_SIGSUSPEND: "rt_sigsuspend", unix.SYS_RT_SIGTIMEDWAIT: "rt_sigtimedwait", unix.SYS_RESTART_SYSCALL: "restart_syscall",
		unix.SYS_OPENAT: "openat", unix.SYS_CLOSE: "close", unix.SYS_FSYNC: "fsync", unix.SYS_IOCTL: "ioctl",
		unix.SYS_FLOCK: "flock", unix.SYS_FCNTL: "fcntl",
	}
	for n, name := range extraSyscalls {
		m[n] = name
	}
	return m
}()
