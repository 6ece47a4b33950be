package action

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// CoreOutlook says whether killing the process can leave a core dump, and
// why not when it cannot.
type CoreOutlook struct {
	// RlimitCore is the soft RLIMIT_CORE in bytes, -1 for unlimited.
	RlimitCore   int64  `json:"rlimit_core"`
	CorePattern  string `json:"core_pattern"`
	SuidDumpable int    `json:"suid_dumpable"`
	Dumpable     bool   `json:"dumpable"`
	// Expected: nothing known stops a core dump (the signal must still be
	// one that dumps, and the target directory must be writable).
	Expected bool `json:"expected"`
	// Reason says why no core can come, when Expected is false.
	Reason string `json:"reason,omitempty"`
}

// coreOutlook reads the facts for p from /proc and judges them.
func coreOutlook(p Process, sig string) (CoreOutlook, error) {
	o := CoreOutlook{Dumpable: p.Dumpable, RlimitCore: -1, SuidDumpable: -1}
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", p.PID))
	if err != nil {
		return o, fmt.Errorf("read limits of pid %d: %w", p.PID, err)
	}
	if o.RlimitCore, err = parseCoreLimit(string(limits)); err != nil {
		return o, fmt.Errorf("pid %d: %w", p.PID, err)
	}
	pattern, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil {
		return o, fmt.Errorf("read core_pattern: %w", err)
	}
	o.CorePattern = strings.TrimRight(string(pattern), "\n")
	sd, err := os.ReadFile("/proc/sys/fs/suid_dumpable")
	if err != nil {
		return o, fmt.Errorf("read suid_dumpable: %w", err)
	}
	if o.SuidDumpable, err = strconv.Atoi(strings.TrimSpace(string(sd))); err != nil {
		return o, fmt.Errorf("malformed suid_dumpable: %w", err)
	}
	o.judge(sig)
	return o, nil
}

// coreSignals are the signals whose default action dumps core.
var coreSignals = map[string]bool{
	"SIGSEGV": true, "SIGABRT": true, "SIGQUIT": true, "SIGBUS": true, "SIGFPE": true,
	"SIGILL": true, "SIGSYS": true, "SIGTRAP": true, "SIGXCPU": true, "SIGXFSZ": true,
}

// judge sets Expected and Reason from the facts.
func (o *CoreOutlook) judge(sig string) {
	pipe := strings.HasPrefix(o.CorePattern, "|")
	absolute := strings.HasPrefix(o.CorePattern, "/")
	switch {
	case !coreSignals[sig]:
		o.Reason = fmt.Sprintf("%s does not dump core", sig)
	case o.RlimitCore == 0:
		o.Reason = "RLIMIT_CORE is 0"
	case !o.Dumpable && o.SuidDumpable == 0:
		o.Reason = "the process is not dumpable (it changed user) and fs.suid_dumpable is 0"
	case !o.Dumpable && o.SuidDumpable == 2 && !pipe && !absolute:
		o.Reason = "the process is not dumpable (it changed user) and fs.suid_dumpable=2 needs an absolute or pipe core_pattern"
	case o.CorePattern == "" || o.CorePattern == "|":
		o.Reason = "core_pattern is empty"
	default:
		o.Expected = true
		o.Reason = ""
	}
}

// parseCoreLimit returns the soft "Max core file size" from
// /proc/PID/limits, -1 for unlimited.
func parseCoreLimit(limits string) (int64, error) {
	for _, line := range strings.Split(limits, "\n") {
		rest, ok := strings.CutPrefix(line, "Max core file size")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			break
		}
		if f[0] == "unlimited" {
			return -1, nil
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed core limit %q: %w", f[0], err)
		}
		return v, nil
	}
	return 0, fmt.Errorf("no core file size in /proc limits")
}
