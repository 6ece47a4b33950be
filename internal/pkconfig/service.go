package pkconfig

import (
	"net"
	"os"
	"strconv"
	"strings"
)

// service handles service_on/service_off (and their old names backend and
// define_backend): PROTOS:DOMAIN:BHOST:BPORT[:SECRET] and the shorter forms
// pagekite.py's ArgToBackendSpecs accepts.
func (p *parser) service(at pos, name, arg string, enabled bool) {
	if strings.Contains(arg, "@kitename") && p.kitename == "" {
		p.problem(at, "%s: @kitename used before kitename is set", name)
		return
	}
	arg = strings.ReplaceAll(arg, "@kitesecret", p.kitesecret)
	arg = strings.ReplaceAll(arg, "@kitename", p.kitename)

	var protos, domain, bhost, bport, secret string
	parts := strings.Split(arg, ":")
	if len(parts) > 5 {
		// pagekite.py ignores such a spec, but what was written where
		// the secret goes, everything after BPORT, is one (#30).
		p.secret(strings.Join(parts[4:], ":"))
	}
	switch len(parts) {
	case 5:
		protos, domain, bhost, bport, secret = parts[0], parts[1], parts[2], parts[3], parts[4]
	case 4:
		protos, domain, bhost, bport = parts[0], parts[1], parts[2], parts[3]
		if bport != "builtin" && !isPort(bport) {
			p.secret(bport) // a secret where BPORT goes: keep it out of reports
		}
	case 3:
		protos, domain, bport = parts[0], parts[1], parts[2]
	case 2:
		if parts[1] == "builtin" || (strings.Contains(parts[0], ".") && exists(parts[1])) {
			domain, bport, protos = parts[0], parts[1], "http"
		} else if isInt(parts[1]) {
			domain, bport, protos = parts[0], parts[1], "http"
		} else {
			protos, domain = parts[0], parts[1]
		}
	case 1:
		domain = parts[0]
	default:
		// Say nothing of the fields: one of them is probably a secret
		// containing ":".
		p.problem(at, "%s: want PROTO:DOMAIN:BHOST:BPORT[:SECRET], got %d fields", name, len(parts))
		return
	}
	p.secret(secret)
	domain = strings.ToLower(strings.ReplaceAll(domain, "/", ""))
	if domain == "" {
		p.problem(at, "%s: no kite name", name)
		return
	}
	if protos == "" {
		protos = "http"
	}
	for _, proto := range strings.Split(strings.ToLower(strings.ReplaceAll(protos, "/", "-")), ",") {
		port, bp := "", bport
		switch {
		case proto == "ssh":
			proto, port = "raw", "22"
			if bp == "" {
				bp = "22"
			}
		case strings.Contains(proto, "-"):
			proto, port, _ = strings.Cut(proto, "-")
			if port == "0" || port == "" {
				// http/0 and http/ are pagekite.py's http: the
				// protocol's default, the relay's every port.
				port = ""
			} else if strings.Contains(port, "-") || !isPort(port) {
				p.problem(at, "%s: bad public port %q in protocol for %s; not watched", name, port, domain)
				continue
			}
		}
		if proto == "" {
			p.problem(at, "%s: empty protocol for %s", name, domain)
			continue
		}
		if bp == "" {
			bp = defaultBackendPort(proto)
		}
		host := strings.ToLower(bhost)
		if host == "" {
			host = "localhost"
		}
		backend := net.JoinHostPort(host, bp)
		switch {
		case bp == "builtin":
			backend = "builtin"
		case bp == "":
			p.problem(at, "%s: no local port for %s service of %s", name, proto, domain)
			continue
		case !isPort(bp):
			p.problem(at, "%s: local port for %s is not a port number", name, domain)
			continue
		}
		id := proto + ":" + domain
		n := 0
		if port != "" {
			n, _ = strconv.Atoi(port)
			proto = proto + "-" + strconv.Itoa(n)
			id = proto + ":" + domain
		}
		if p.ids[id] {
			p.problem(at, "%s: same service defined twice: %s", name, id)
			continue
		}
		p.ids[id] = true
		if p.kitename == "" {
			p.kitename, p.kitesecret = domain, secret
		}
		if enabled {
			p.addService(domain, Service{Proto: proto, Port: n, Backend: backend, PublicPort: n})
		}
	}
}

func (p *parser) addService(domain string, s Service) {
	i, ok := p.kiteIndex[domain]
	if !ok {
		i = len(p.cfg.Kites)
		p.kiteIndex[domain] = i
		p.cfg.Kites = append(p.cfg.Kites, Kite{Name: domain})
	}
	p.cfg.Kites[i].Services = append(p.cfg.Kites[i].Services, s)
}

// defaultBackendPort is pagekite.py's default local port for proto, or "".
func defaultBackendPort(proto string) string {
	switch proto {
	case "http", "websocket":
		return "80"
	case "https":
		return "443"
	case "irc":
		return "6667"
	case "xmpp":
		return "5222"
	}
	return ""
}

func isPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 65535
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
