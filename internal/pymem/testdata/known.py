# A program with known stacks, for pymem's tests: threads blocked in
# named functions, a deep recursion, a generator, a thread in C code.
# It prints "ready PID" when every thread is in place, then waits to be
# read (and, with -X faulthandler, killed with SIGSEGV: faulthandler's
# dump is what the read is compared with).
import os
import sys
import threading
import time

ready = []
stop = threading.Event()

# KNOWN_RUNAS=USER: become USER first, as pagekite.py's --runas does
# (setgid, setuid in the process), which leaves it not dumpable: its
# memory is then readable with CAP_SYS_PTRACE only.
if os.environ.get("KNOWN_RUNAS"):
    import ctypes
    import pwd

    pw = pwd.getpwnam(os.environ["KNOWN_RUNAS"])
    os.setgroups([])
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)
    PR_GET_DUMPABLE = 3
    if ctypes.CDLL(None).prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0:
        sys.exit("still dumpable after setuid")


def blocked_in_wait():
    ready.append(1)
    stop.wait()


def recurse(n):
    if n == 0:
        ready.append(1)
        stop.wait()
        return
    recurse(n - 1)


def gen():
    ready.append(1)
    stop.wait()
    yield 1


def in_generator():
    for _ in gen():
        pass


def in_c_code():
    ready.append(1)
    time.sleep(3600)


def main_wait():
    for fn in (blocked_in_wait, in_generator, in_c_code):
        threading.Thread(target=fn, daemon=True).start()
    threading.Thread(target=recurse, args=(int(sys.argv[1]) if len(sys.argv) > 1 else 80,), daemon=True).start()
    while len(ready) < 4:
        time.sleep(0.01)
    print("ready", os.getpid(), flush=True)
    stop.wait()


main_wait()
