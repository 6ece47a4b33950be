package pktest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// deadlockC is a stand-in for a wedged pagekitec (libpagekite's C client
// cannot be installed here: Debian does not package it): two threads
// that take two mutexes in opposite orders and wait forever, each with
// a secret in its argument (which no stack in a report may show). Its
// command line reads as pagekitec's (LPORT PROTO NAME PPORT SECRET); it
// ignores its arguments. Like pagekitec it dumps core on SIGSEGV and
// survives SIGUSR1 and SIGUSR2 (which pagekitec takes as "log more" and
// "dump your state"; the stand-in has nothing to log).
const deadlockC = `#include <pthread.h>
#include <signal.h>
#include <stdio.h>
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;
__attribute__((noinline)) void pk_lock_tunnels(const char *secret) {
	pthread_mutex_lock(&a); pthread_barrier_wait(&both); pthread_mutex_lock(&b); puts(secret);
}
__attribute__((noinline)) void pk_lock_manager(const char *secret) {
	pthread_mutex_lock(&b); pthread_barrier_wait(&both); pthread_mutex_lock(&a); puts(secret);
}
static void *second(void *arg) { pk_lock_manager(arg); return NULL; }
int main(void) {
	pthread_t t;
	signal(SIGUSR1, SIG_IGN); /* pagekitec: verbose logging */
	signal(SIGUSR2, SIG_IGN); /* pagekitec: dump state */
	pthread_barrier_init(&both, NULL, 2);
	pthread_create(&t, NULL, second, "` + DeadlockSecret + `-2");
	pk_lock_tunnels("` + DeadlockSecret + `-1");
	return 0;
}
`

// DeadlockSecret is the argument value of the deadlocked functions.
const DeadlockSecret = "ARGSECRET"

// BuildDeadlocked compiles the deadlocked pagekitec stand-in into
// dir/pagekitec (gcc, with symbols) and returns its path; the test is
// skipped, or failed under RequireAllEnv, without gcc.
func BuildDeadlocked(t testing.TB, dir string) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		missing(t, "gcc", "apt-get install -y gcc")
	}
	src := filepath.Join(dir, "deadlock.c")
	if err := os.WriteFile(src, []byte(deadlockC), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "pagekitec")
	if out, err := exec.Command(gcc, "-g", "-O0", "-pthread", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v: %s", err, out)
	}
	return bin
}

// StartDeadlocked runs bin (BuildDeadlocked) as a pagekitec flying kite,
// waits until both its threads wait in futex, and returns its PID;
// t.Cleanup kills it by that PID.
func StartDeadlocked(t testing.TB, bin, kite string) int {
	t.Helper()
	cmd := exec.Command(bin, "80", "http", kite, "80", "SECRET")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := cmd.Process.Pid
	WaitFutex(t, pid, 2)
	return pid
}

// WaitFutex waits (up to 5 s) until n threads of pid sleep in futex.
func WaitFutex(t testing.TB, pid, n int) {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		tasks, _ := os.ReadDir(dir)
		waiting := 0
		for _, task := range tasks {
			if w, err := os.ReadFile(filepath.Join(dir, task.Name(), "wchan")); err == nil && strings.Contains(string(w), "futex") {
				waiting++
			}
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d: %d of %d threads in futex after 5s", pid, waiting, n)
		}
	}
}

// RequireProgram returns the path of program, or skips the test (fails
// it under RequireAllEnv) saying how to install it.
func RequireProgram(t testing.TB, program, fix string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		missing(t, program, fix)
	}
	return p
}
