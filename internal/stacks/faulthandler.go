package stacks

import (
	"bytes"
	"os"
	"path"
	"strconv"
	"strings"
)

// DropIn says how to turn faulthandler on for Debian's pagekite.service:
// the .deb ships the drop-in as an example, never installed by it.
const DropIn = `the systemd drop-in /etc/systemd/system/pagekite.service.d/faulthandler.conf ` +
	`holding "[Service] Environment=PYTHONFAULTHANDLER=1" ` +
	`(example: /usr/share/doc/pkwatchdogd/examples/pagekite-faulthandler.conf), ` +
	`or PYTHONFAULTHANDLER=1 in the environment of whatever starts pagekite`

// Faulthandler says whether pagekite.py's Python prints every thread's
// traceback on SIGSEGV.
type Faulthandler struct {
	On bool
	// Why says how it was found: "PYTHONFAULTHANDLER=1 in its environment",
	// "-X faulthandler on its command line", or why it is off.
	Why string
}

// PythonFaulthandler reads pid's environment and command line (the
// interpreter's own options, before the script). The environment of
// another user's process needs root or CAP_SYS_PTRACE; an unreadable one
// counts as off, with the reason.
func PythonFaulthandler(pid int) Faulthandler {
	dir := "/proc/" + strconv.Itoa(pid)
	cmdline, err := os.ReadFile(dir + "/cmdline")
	if err != nil {
		return Faulthandler{Why: "command line unreadable: " + err.Error()}
	}
	environ, err := os.ReadFile(dir + "/environ")
	if err != nil {
		return Faulthandler{Why: "environment unreadable: " + err.Error()}
	}
	return faulthandlerOf(split0(cmdline), split0(environ))
}

// faulthandlerOf judges an argv and an environment.
func faulthandlerOf(argv, environ []string) Faulthandler {
	ignoreEnv := false
	if len(argv) > 0 && strings.HasPrefix(path.Base(argv[0]), "python") {
		for i := 1; i < len(argv); i++ {
			a := argv[i]
			if a == "-X" && i+1 < len(argv) {
				i++
				if x := argv[i]; x == "faulthandler" || x == "faulthandler=1" {
					return Faulthandler{On: true, Why: "-X faulthandler on its command line"}
				}
				continue
			}
			if a == "-W" {
				i++ // its warning filter
				continue
			}
			if !strings.HasPrefix(a, "-") || a == "-" || a == "-c" || a == "-m" {
				break // the script: the rest is PageKite's
			}
			if x, ok := strings.CutPrefix(a, "-X"); ok && (x == "faulthandler" || x == "faulthandler=1") {
				return Faulthandler{On: true, Why: "-X faulthandler on its command line"}
			}
			if !strings.HasPrefix(a, "--") && (strings.ContainsAny(a[1:], "EI")) {
				ignoreEnv = true // -E, -I: PYTHON* variables are ignored
			}
		}
	}
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "PYTHONFAULTHANDLER="); ok && v != "" {
			if ignoreEnv {
				return Faulthandler{Why: "PYTHONFAULTHANDLER is set but python runs with -E or -I, which ignore it"}
			}
			return Faulthandler{On: true, Why: "PYTHONFAULTHANDLER=" + clip(v) + " in its environment"}
		}
	}
	return Faulthandler{Why: "neither PYTHONFAULTHANDLER in its environment nor -X faulthandler on its command line"}
}

// split0 splits a NUL-separated /proc file.
func split0(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}
