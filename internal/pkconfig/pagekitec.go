package pkconfig

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Pagekitec is what a pagekitec command line (or OpenWrt's UCI file, which
// its init script turns into one) configures, as far as a watchdog cares.
// pagekitec has no config file: its options come first, then its kites in
// groups of five, LPORT PROTO NAME PPORT SECRET.
type Pagekitec struct {
	// Kites are its kites, grouped by name in order of appearance: proto
	// "http" (PPORT 80 or 0 → Port 0, another port → "http-PPORT"),
	// "https" (likewise with 443), or "raw-PPORT". A group that gives no
	// kite (a raw kite on PPORT 0, an unknown protocol) is a problem that
	// names the kite.
	Kites []Kite
	// Secrets are the kite secrets. Never log them.
	Secrets []string
	// Relay is the relay it connects to: -F HOST with -P PORT (default
	// 443), "host:port"; "" when it picks pagekite.net's relays (or a
	// white-label's, -w).
	Relay string
	// StatusFile is the -Y status file's path ("" when none), and
	// StatusFormat its format: "json" (the default) or "text".
	StatusFile, StatusFormat string
	// Syslog: -s, it logs to syslog rather than stderr.
	Syslog bool
	// Whitelabel is -w's domain.
	Whitelabel string
}

// pagekitecArgs are pagekitec's options that take an argument (its getopt
// string is "46a:B:c:CE:F:P:HIl:Nn:qr:RsSvV:Ww:Y:Z", libpagekite 0.91).
const pagekitecArgs = "aBcEFPlnrVwY"

// pagekitecFlags are its options without an argument.
const pagekitecFlags = "46CHINqRsSvWZ"

// ParsePagekitec reads a pagekitec command line, without the program
// name. It returns what parsed and an *Errors for what did not (an unknown
// option, a kite group that is short or whose ports are not numbers); the
// problems never hold a secret.
func ParsePagekitec(args []string) (*Pagekitec, error) {
	pc := &Pagekitec{}
	var problems []Problem
	bad := func(i int, format string, a ...any) {
		problems = append(problems, Problem{File: "argv", Line: i + 1, Msg: fmt.Sprintf(format, a...)})
	}
	relayHost, relayPort := "", "443"
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		// A cluster of flags, the last of which may take an argument
		// (attached, or the next word), as getopt reads it.
		for j := 1; j < len(a); j++ {
			opt := a[j]
			switch {
			case strings.IndexByte(pagekitecFlags, opt) >= 0:
				if opt == 's' {
					pc.Syslog = true
				}
				continue
			case strings.IndexByte(pagekitecArgs, opt) >= 0:
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						bad(i, "option -%c needs an argument", opt)
						break
					}
					i++
					val = args[i]
				}
				switch opt {
				case 'F':
					relayHost = val
				case 'P':
					relayPort = val
				case 'w':
					pc.Whitelabel = val
				case 'Y':
					pc.StatusFile, pc.StatusFormat = val, "json"
					if f, path, ok := strings.Cut(val, ":"); ok && (strings.EqualFold(f, "json") || strings.EqualFold(f, "text")) {
						pc.StatusFile, pc.StatusFormat = path, strings.ToLower(f)
					}
				}
			default:
				bad(i, "unknown option -%c", opt)
			}
			break // the rest of the word was the argument, or unknown
		}
	}
	if relayHost != "" {
		pc.Relay = net.JoinHostPort(relayHost, relayPort)
	}
	rest := args[i:]
	if len(rest) == 0 || len(rest)%5 != 0 {
		// Say nothing of the words: one may be a secret.
		bad(i, "want kites as groups of five (LPORT PROTO NAME PPORT SECRET), got %d words", len(rest))
	}
	index := map[string]int{}
	for g := 0; g+5 <= len(rest); g += 5 {
		lport, proto, name, pport, secret := rest[g], strings.ToLower(rest[g+1]), strings.ToLower(rest[g+2]), rest[g+3], rest[g+4]
		if secret != "" {
			pc.Secrets = append(pc.Secrets, secret)
		}
		lp, err1 := strconv.Atoi(lport)
		pp, err2 := strconv.Atoi(pport)
		if err1 != nil || err2 != nil || lp <= 0 || pp < 0 || lp > 65535 || pp > 65535 {
			bad(i+g, "kite %q: LPORT and PPORT must be port numbers (PPORT 0: the protocol's default); not watched", name)
			continue
		}
		if name == "" {
			bad(i+g, "a kite without a name")
			continue
		}
		svc, msg := pagekitecService(proto, pp)
		if msg != "" {
			bad(i+g, "kite %q: %s; not watched", name, msg)
			continue
		}
		svc.Backend = net.JoinHostPort("localhost", lport)
		k, ok := index[name]
		if !ok {
			k = len(pc.Kites)
			index[name] = k
			pc.Kites = append(pc.Kites, Kite{Name: name})
		}
		pc.Kites[k].Services = append(pc.Kites[k].Services, svc)
	}
	if len(problems) > 0 {
		return pc, &Errors{Problems: problems}
	}
	return pc, nil
}

// pagekitecService is the service of a kite group's PROTO and PPORT as
// libpagekite registers it (pkm_add_kite): PPORT 0 is the protocol's
// default, the relay serving it on each of its ports, unless PROTO names
// the port ("http-8080", "raw-22"); a raw kite needs a public port. msg
// says why a group has no service (pagekitec refuses to start with it).
func pagekitecService(proto string, pp int) (svc Service, msg string) {
	base, named, hasPort := strings.Cut(proto, "-")
	if hasPort {
		n, err := strconv.Atoi(named)
		switch {
		case err != nil || n <= 0 || n > 65535:
			return Service{}, fmt.Sprintf("protocol %q names no public port", proto)
		case pp != 0:
			return Service{}, fmt.Sprintf("protocol %q names a public port and PPORT is %d, not 0", proto, pp)
		}
		pp = n
	}
	svc = Service{Proto: base, PublicPort: pp}
	switch base {
	case "http", "websocket", "https":
		def := 80
		if base == "https" {
			def = 443
		}
		if pp != 0 && pp != def {
			svc.Proto, svc.Port = base+"-"+strconv.Itoa(pp), pp
		}
	case "raw":
		if pp == 0 {
			return Service{}, "a raw kite on public port 0 cannot be probed (pagekitec refuses it too: raw needs a public port)"
		}
		svc.Proto, svc.Port = "raw-"+strconv.Itoa(pp), pp
	default:
		return Service{}, fmt.Sprintf("unknown protocol %q", proto)
	}
	return svc, ""
}
