package pkconfig

import (
	"net/url"
	"strconv"
	"strings"
)

// isName reports whether s looks like an option name. Only such names are
// echoed in problems: anything else might be a stray secret.
func isName(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// option applies one option, as pagekite.py's Configure does.
func (p *parser) option(at pos, name, arg string, hasArg bool) {
	if name == "abort_not_configured" {
		p.cfg.NotConfigured = true
		return
	}
	if hasArg && strings.Contains(name, "secret") {
		// What was written where a secret goes is a secret, whether or
		// not the option is known or the line valid (#30).
		p.secret(arg)
	}
	takesArg, known := lookupOption(name)
	switch {
	case !known && isName(name):
		p.problem(at, "unknown option %q", name)
		return
	case !known:
		p.problem(at, "not an option line (want NAME or NAME = VALUE)")
		return
	case takesArg && !hasArg:
		p.problem(at, "option %s needs a value", name)
		return
	case !takesArg && hasArg:
		p.problem(at, "option %s takes no value", name)
		return
	}
	switch name {
	case "kitename":
		p.kitename = arg
	case "kitesecret":
		p.kitesecret = arg
	case "service_on", "backend":
		p.service(at, name, arg, true)
	case "service_off", "define_backend":
		p.service(at, name, arg, false)
	case "service_cfg", "be_config":
		p.serviceCfg(at, name, arg)
	case "httppass":
		p.secret(arg)
	case "dyndns":
		p.dyndns(arg)
	case "domain":
		parts := strings.Split(arg, ":")
		if len(parts) >= 3 {
			// The secret may hold colons: everything after DOMAIN.
			p.secret(strings.Join(parts[2:], ":"))
		}
		if len(parts) != 3 {
			p.problem(at, "%s: want PROTOS:DOMAIN:SECRET", name)
			return
		}
	case "frontend":
		p.cfg.Frontends = append(p.cfg.Frontends, arg)
	case "frontends":
		parts := strings.Split(arg, ":")
		if len(parts) != 3 || !isInt(parts[0]) || !isInt(parts[2]) {
			p.problem(at, "%s: want COUNT:DNSNAME:PORT", name)
			return
		}
		p.cfg.Frontends = append(p.cfg.Frontends, arg)
	case "errorurl":
		p.cfg.ErrorURLs = append(p.cfg.ErrorURLs, arg)
	case "defaults":
		p.cfg.Defaults = true
		p.cfg.ErrorURLs = append(p.cfg.ErrorURLs, "https://pagekite.net/offline/?")
	case "whitelabel", "whitelabels":
		p.cfg.Whitelabels = append(p.cfg.Whitelabels, arg)
		scheme := "http"
		if name == "whitelabels" {
			scheme = "https"
		}
		p.cfg.ErrorURLs = append(p.cfg.ErrorURLs, scheme+"://www."+arg+"/offline/?")
	case "optfile", "optdir":
		p.include(at, name, arg)
	}
}

func isInt(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// secret records s as a secret (if not empty).
func (p *parser) secret(s string) {
	if s == "" || p.secrets[s] {
		return
	}
	p.secrets[s] = true
	p.cfg.Secrets = append(p.cfg.Secrets, s)
}

// dyndns records the credentials of a dyndns option: "USER:PASS@PROVIDER"
// or a URL with user info.
func (p *parser) dyndns(arg string) {
	if strings.HasPrefix(arg, "http") {
		if u, err := url.Parse(arg); err == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok {
				p.secret(pw)
			}
		}
		return
	}
	at := strings.LastIndex(arg, "@")
	if at < 0 {
		return
	}
	if _, pw, ok := strings.Cut(arg[:at], ":"); ok {
		p.secret(pw)
	}
}

// serviceCfg handles service_cfg = DOMAIN/PORT:KEY:VALUE.
func (p *parser) serviceCfg(at pos, name, arg string) {
	parts := strings.SplitN(arg, ":", 3)
	if len(parts) != 3 {
		p.problem(at, "%s: want DOMAIN/PORT:KEY:VALUE", name)
		return
	}
	key := parts[1]
	if strings.HasPrefix(key, "user/") {
		key = "password/" + strings.TrimPrefix(key, "user/")
	}
	if strings.HasPrefix(key, "password/") || strings.Contains(key, "secret") || strings.Contains(key, "pass") {
		p.secret(parts[2])
	}
}

// include handles optfile and optdir.
func (p *parser) include(at pos, name, arg string) {
	if p.depth >= maxDepth {
		p.problem(at, "%s: nested too deep", name)
		return
	}
	p.depth++
	defer func() { p.depth-- }()
	var err error
	if name == "optfile" {
		err = p.file(arg)
	} else {
		err = p.dir(arg)
	}
	if err != nil {
		// Relative names are opened from the working directory, as
		// pagekite.py does.
		p.problem(at, "%s %s: %s", name, arg, unwrapAll(err))
	}
}
