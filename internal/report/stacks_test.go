package report

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/stacks"
)

// coredumpEntry is systemd-coredump's message for the deadlocked
// stand-in, as systemd 252's elf-util.c prints it.
const coredumpEntry = `Process 3516 (pagekitec) of user 0 dumped core.

Stack trace of thread 3516:
#0  0x00007f6b34e6e12b __lll_lock_wait (libc.so.6 + 0x8a12b)
#1  0x00005584326921b2 pk_lock_tunnels (pagekitec + 0x11b2)
Stack trace of thread 3518:
#0  0x00007f6b34e6e12b __lll_lock_wait (libc.so.6 + 0x8a12b)
#1  0x00005584326921fa pk_lock_manager (pagekitec + 0x11fa)
`

// TestStacksFromCoredumpJournal: a restart that left native stacks to
// systemd-coredump gets them from its journal entry, asked for by
// MESSAGE_ID and COREDUMP_PID. journalctl is a stand-in script that
// checks its arguments and prints the entry: there is no journald here
// to hold a real one, and the kernel's core_pattern (one per machine)
// cannot reach a container's systemd-coredump.
func TestStacksFromCoredumpJournal(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "journalctl")
	body := "#!/bin/sh\n[ \"$*\" = '--no-pager -o cat -n 1 MESSAGE_ID=" + coredumpMessageID + " COREDUMP_PID=3516' ] || { echo \"bad args: $*\" >&2; exit 2; }\n" +
		"cat <<'EOF'\n" + coredumpEntry + "EOF\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	b := newTestBuilder(t, Options{Journalctl: script, LogFile: filepath.Join(dir, "none.log")}, nil)
	snap := &stacks.Snapshot{PID: 3516, At: t0, NativeFromCoredump: true, NativeNote: "from systemd-coredump's journal entry, after the kill",
		Threads: []stacks.Thread{{TID: 3516, State: "S", Syscall: "futex"}, {TID: 3518, State: "S", Syscall: "futex"}}}
	bundle, err := b.Build(context.Background(), Input{Kite: "k", At: t0, Kind: "pagekitec", Stacks: snap})
	if err != nil {
		t.Fatal(err)
	}
	members, _ := readBundle(t, bundle.Path)
	var rep struct {
		Schema int         `json:"schema"`
		Stacks *stacksJSON `json:"stacks"`
	}
	if err := json.Unmarshal(members[JSONMember], &rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Stacks
	if rep.Schema != Schema || s == nil || s.NativeSource != "systemd-coredump" || s.NativeNote != "" || len(s.Native["3518"]) != 2 {
		t.Fatalf("report.json schema %d, stacks %+v; want systemd-coredump's frames", rep.Schema, s)
	}
	if f := s.Native["3518"][1]; f != (stacks.NativeFrame{Module: "pagekitec", Offset: "0x11fa", Symbol: "pk_lock_manager"}) {
		t.Errorf("frame = %+v", f)
	}
	if s.SignatureFrom != "native" || s.Python != nil || s.Faulthandler != "" {
		t.Errorf("stacks = %+v, want a native signature, nothing of python", s)
	}

	// No entry: the report says so.
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho '-- No entries --'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	bundle, err = b.Build(context.Background(), Input{Kite: "k", At: t0.Add(1), Kind: "pagekitec", Stacks: snap})
	if err != nil {
		t.Fatal(err)
	}
	members, _ = readBundle(t, bundle.Path)
	var rep2 struct {
		Stacks *stacksJSON `json:"stacks"`
	}
	if err := json.Unmarshal(members[JSONMember], &rep2); err != nil {
		t.Fatal(err)
	}
	if s := rep2.Stacks; s == nil || s.Native != nil || !strings.Contains(s.NativeNote, "no stack trace") || s.SignatureFrom != "threads" {
		t.Errorf("stacks without an entry = %+v, want a note and a threads signature", s)
	}
}

// TestStacksPythonFromLog: faulthandler's dump in the harvested log
// becomes stacks.python; paths under a home keep their base name; no
// snapshot (pkwatchdogd report) still gives the tracebacks.
func TestStacksPythonFromLog(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "pagekite.log")
	writeLog(t, log, []string{
		pkLine(t0.Add(-10*time.Second), "ll=1; info=hello"),
		"Fatal Python error: Segmentation fault",
		"",
		"Current thread 0x00007f78aa6102c0 (most recent call first):",
		`  File "/home/alice/pagekite/pk.py", line 3967 in Epoll`,
		`  File "/usr/bin/pagekite", line 39 in <module>`,
	})
	b := newTestBuilder(t, Options{LogFile: log}, nil)
	bundle, err := b.Build(context.Background(), Input{Kite: "k", At: t0, LastFlying: t0.Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	members, _ := readBundle(t, bundle.Path)
	var rep struct {
		Stacks *stacksJSON `json:"stacks"`
	}
	if err := json.Unmarshal(members[JSONMember], &rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Stacks
	if s == nil || s.PythonCurrent != "0x00007f78aa6102c0" || len(s.Python) != 1 || s.Python[0].ID != s.PythonCurrent ||
		len(s.Python[0].Frames) != 2 || s.PythonSource != "faulthandler" || s.SignatureFrom != "python" {
		t.Fatalf("stacks = %+v, want the current thread's 2 frames from faulthandler and a python signature", s)
	}
	if f := s.Python[0].Frames[0]; f.File != "pk.py" || f.Function != "Epoll" {
		t.Errorf("frame = %+v, want pk.py (no home path), Epoll", f)
	}
	if strings.Contains(string(members[JSONMember]), "alice") {
		t.Error("report.json names the user's home")
	}
}
