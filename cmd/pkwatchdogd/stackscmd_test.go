package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// TestStacksCommand: `pkwatchdogd stacks` prints a real pagekite.py's
// Python stacks, found through the config's instance, and any CPython's
// given its PID (--json as report.json's threads), with its exit statuses:
// 0 read, 1 nothing could be read, 64 usage, 78 config.
func TestStacksCommand(t *testing.T) {
	pktest.RequireRoot(t)
	relay := pktest.StartRelay(t)
	web := pktest.StartWebServer(t)
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "kite.pid")
	kite := pktest.HTTPService("stk."+pktest.RelayDomain, web)
	pktest.StartKiteArgs(t, relay, []string{"--pidfile=" + pidFile}, kite)
	waitPID(t, pidFile, 20*time.Second)
	time.Sleep(time.Second) // its threads started
	path := writeConfig(t, fmt.Sprintf("[[pagekite]]\nname = \"main\"\npidfile = %q\n[[kite]]\nname = %q\nurl = \"http://%s/\"\nconnect_to = %q\npagekite = \"main\"\n",
		pidFile, kite.Name, kite.Name, relay.Addr))

	for _, args := range [][]string{{"stacks", "--config", path}, {"stacks", "--config", path, "--pagekite", "main"}} {
		code, out, errs := runCmd(t, args...)
		if code != exitOK || !strings.Contains(out, "CPython 3.") || !strings.Contains(out, "\nThread 0x") ||
			!strings.Contains(out, "/pagekite/pk.py:") {
			t.Errorf("%v = %d, %q, %q; want 0 and pagekite.py's threads and frames", args, code, out, errs)
		}
	}

	// Any CPython, by PID, without a config: a grandchild, as a PageKite
	// is never pkwatchdogd's child.
	py := pktest.Pythons(t)[0].Path
	sh := exec.Command("/bin/sh", "-c", `"$@" & wait`, "sh", py, "-c",
		"import os, threading, time\ndef waiter(): threading.Event().wait()\nthreading.Thread(target=waiter, daemon=True).start()\nprint(os.getpid(), flush=True)\ntime.sleep(60)")
	out, _ := sh.StdoutPipe()
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	l, _ := bufio.NewReader(out).ReadString('\n')
	pid, _ := strconv.Atoi(strings.TrimSpace(l))
	if pid <= 0 {
		t.Fatalf("the python program said %q", l)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL); _ = sh.Wait() })
	time.Sleep(200 * time.Millisecond)
	code, stdout, stderr := runCmd(t, "stacks", "--json", strconv.Itoa(pid))
	var got struct {
		PID     int               `json:"pid"`
		Python  string            `json:"python"`
		Threads []stacks.PyThread `json:"threads"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); code != exitOK || err != nil || got.PID != pid || !strings.HasPrefix(got.Python, "3.") || len(got.Threads) != 2 {
		t.Fatalf("stacks --json %d = %d, %v, %+v (%s)", pid, code, err, got, stderr)
	}
	for _, th := range got.Threads {
		if !strings.HasPrefix(th.ID, "0x") || th.NativeID <= 0 || len(th.Frames) == 0 {
			t.Errorf("thread %+v: want an id, a TID and frames", th)
		}
	}
	if !strings.Contains(stdout, `"function": "waiter"`) || !strings.Contains(stdout, `"file": "<string>"`) {
		t.Errorf("stacks --json: no frame of waiter in <string>: %s", stdout)
	}

	sleep := exec.Command("/bin/sleep", "30")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleep.Process.Kill(); _ = sleep.Wait() })
	for _, tt := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"stacks", strconv.Itoa(sleep.Process.Pid)}, exitDown, "not a CPython process"},
		{[]string{"stacks", "x"}, exitUsage, "give a PID"},
		{[]string{"stacks", "1", "2"}, exitUsage, "unexpected argument"},
		{[]string{"stacks", "--pagekite", "main", "12"}, exitUsage, "give a PID"},
		{[]string{"stacks", "--nope"}, exitUsage, "not defined"},
		{[]string{"stacks", "--config", path, "--pagekite", "other"}, exitUsage, `no PageKite instance "other"`},
		{[]string{"stacks", "--config", filepath.Join(dir, "missing.toml")}, exitConfig, "missing.toml"},
	} {
		code, _, stderr := runCmd(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.err) {
			t.Errorf("%v = %d, %q; want %d, %q", tt.args, code, stderr, tt.code, tt.err)
		}
	}
}
