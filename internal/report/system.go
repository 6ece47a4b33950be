package report

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pagekite/pkwatchdogd/internal/child"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
)

// PageKiteInfo names the PageKite that failed.
type PageKiteInfo struct {
	Kind    pagekite.Kind `json:"kind"`
	Version string        `json:"version"`
	// Source says where Version came from: "log", "dpkg", "status file"
	// or "usage banner".
	Source string `json:"source,omitempty"`
}

// SystemInfo names the machine.
type SystemInfo struct {
	OS      string `json:"os"`
	Kernel  string `json:"kernel"`
	Machine string `json:"machine"`
}

// pagekiteInfo names the PageKite restarted and its version: for
// pagekitec, from its -Y status file, or its usage banner ("This is
// pagekitec.c from libpagekite X."); for pagekite.py, from its started= log
// line, or else from dpkg's pagekite package.
func pagekiteInfo(ctx context.Context, in Input, started string) PageKiteInfo {
	if in.Kind == pagekite.C {
		return pagekitecInfo(ctx, in)
	}
	if m := startedLine.FindStringSubmatch(started); m != nil {
		return PageKiteInfo{Kind: pagekite.Py, Version: m[1], Source: "log"}
	}
	out, err := child.Run(ctx, child.Cmd{Argv: []string{"dpkg-query", "-W", "-f=${Version}", "pagekite"}, Timeout: 5 * time.Second, MaxOutput: 256})
	if v := strings.TrimSpace(string(out.Stdout)); err == nil && v != "" {
		return PageKiteInfo{Kind: pagekite.Py, Version: v, Source: "dpkg"}
	}
	return PageKiteInfo{Kind: "unknown", Version: "unknown"}
}

// systemInfo reads the OS name from os-release and the kernel from uname.
func systemInfo() SystemInfo {
	s := SystemInfo{OS: "unknown", Kernel: "unknown", Machine: "unknown"}
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if data, err := os.ReadFile(p); err == nil {
			if v := osReleaseField(data, "PRETTY_NAME"); v != "" {
				s.OS = v
				break
			}
		}
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil {
		s.Kernel = unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:]) + " " + unix.ByteSliceToString(u.Version[:])
		s.Machine = unix.ByteSliceToString(u.Machine[:])
	}
	return s
}

// osReleaseField returns one KEY=value of an os-release file, unquoted.
func osReleaseField(data []byte, key string) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || k != key {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil {
			return u
		}
		return strings.Trim(v, `'"`)
	}
	return ""
}

// bannerVersion finds libpagekite's version in pagekitec's usage banner.
var bannerVersion = regexp.MustCompile(`This is pagekitec\.c from libpagekite ([^\s.][^\s]*?)\.?\s`)

// pagekitecInfo is pagekiteInfo for pagekitec.
func pagekitecInfo(ctx context.Context, in Input) PageKiteInfo {
	if st := in.status(); st != nil && st.Status.Version != "" {
		return PageKiteInfo{Kind: pagekite.C, Version: st.Status.Version, Source: "status file"}
	}
	if in.Exe != "" {
		// Without arguments pagekitec prints its usage, banner first, and
		// exits.
		out, _ := child.Run(ctx, child.Cmd{Argv: []string{in.Exe}, Timeout: 5 * time.Second, MaxOutput: 4096, Combined: true})
		if m := bannerVersion.FindSubmatch(out.Stdout); m != nil {
			return PageKiteInfo{Kind: pagekite.C, Version: string(m[1]), Source: "usage banner"}
		}
	}
	return PageKiteInfo{Kind: pagekite.C, Version: "unknown"}
}
