package discover

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/pkconfig"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// targetsOf turns discovered kites into targets probed through relay
// (ConnectTo; "" dials the kite's name). A kite it cannot watch (a name
// that is not a host name, no service a probe can reach) is skipped with a
// warning naming it, from and the reason; the reasons are appended to
// skipped, for the error of an instance left with no kite.
func (d discoverer) targetsOf(in *config.Instance, kites []pkconfig.Kite, relay, via, from string, skipped []string) ([]probe.Target, []string) {
	var out []probe.Target
	for _, k := range kites {
		if !config.ValidHostname(k.Name) {
			d.log.Warn("pagekite config names a kite that is not a host name; skipped it",
				zap.String("pagekite", in.Name), zap.String("from", from), zap.String("kite", k.Name))
			skipped = append(skipped, fmt.Sprintf("kite %q: not a host name; not watched", k.Name))
			continue
		}
		t, s, ok := discoveredTarget(k, d.c.Discovery.TLSProbe)
		if !ok {
			why := unprobeable(k)
			d.log.Warn("pagekite config names a kite no probe can reach; skipped it",
				zap.String("pagekite", in.Name), zap.String("from", from), zap.String("kite", k.Name), zap.String("reason", why))
			skipped = append(skipped, fmt.Sprintf("kite %q: %s; not watched", k.Name, why))
			continue
		}
		t.ConnectTo, t.Via = onPublicPort(t, s, relay, via)
		out = append(out, t)
	}
	return out, skipped
}

// unprobeable says why discoveredTarget makes no target of k.
func unprobeable(k pkconfig.Kite) string {
	protos := make([]string, len(k.Services))
	for i, s := range k.Services {
		if s.Base() == "raw" && s.Port == 0 {
			return "a raw kite without a public port (or on port 0) cannot be probed: the relay serves it on no port a probe can name"
		}
		protos[i] = s.Proto
	}
	return "no http, https, websocket or raw service with a public port (it has " + strings.Join(protos, ", ") + ")"
}

// onPublicPort is the relay address a web kite is probed through, and
// where it comes from: the relay's host on the kite's public port when
// the config fixes one (pagekite.py's http/8080, pagekitec's PPORT: a
// relay serves such a kite on that port only, and answers "not
// connected" on its others), else relay as it is. Raw kites name their
// port in CONNECT and go through relay.
func onPublicPort(t probe.Target, s pkconfig.Service, relay, via string) (string, string) {
	if relay == "" || t.Kind != probe.KindHTTP || s.PublicPort <= 0 {
		return relay, via
	}
	host, port, err := net.SplitHostPort(relay)
	pub := strconv.Itoa(s.PublicPort)
	if err != nil || port == pub {
		return relay, via
	}
	return net.JoinHostPort(host, pub), via + ", on the kite's public port " + pub
}

// discoveredTarget turns a kite found in pagekite.py's files into a
// target, probed over plain HTTP unless it has only an HTTPS service and
// tlsProbe is set:
//
//   - an http or websocket service on the default port: http://NAME/;
//     only on another port: http://NAME:PORT/;
//   - only https: http://NAME/ (HTTPSOnly), or https://NAME/ with tlsProbe
//     (NAME:PORT for a non-default port);
//   - otherwise its first raw-N service: CONNECT NAME:N.
func discoveredTarget(k pkconfig.Kite, tlsProbe bool) (probe.Target, pkconfig.Service, bool) {
	web := func(protos ...string) (pkconfig.Service, bool) {
		var found *pkconfig.Service
		for i, s := range k.Services {
			if !slices.Contains(protos, s.Base()) {
				continue
			}
			if s.Port == 0 {
				return s, true
			}
			if found == nil {
				found = &k.Services[i]
			}
		}
		if found == nil {
			return pkconfig.Service{}, false
		}
		return *found, true
	}
	hostPort := func(s pkconfig.Service) string {
		if s.Port == 0 {
			return k.Name
		}
		return k.Name + ":" + strconv.Itoa(s.Port)
	}
	if s, ok := web("http", "websocket"); ok {
		return probe.Target{Name: k.Name, Kind: probe.KindHTTP, URL: "http://" + hostPort(s) + "/"}, s, true
	}
	if s, ok := web("https"); ok {
		if tlsProbe {
			return probe.Target{Name: k.Name, Kind: probe.KindHTTP, URL: "https://" + hostPort(s) + "/"}, s, true
		}
		return probe.Target{Name: k.Name, Kind: probe.KindHTTP, URL: "http://" + hostPort(s) + "/", HTTPSOnly: true}, s, true
	}
	for _, s := range k.Services {
		if s.Base() == "raw" && s.Port > 0 {
			return probe.Target{Name: k.Name, Kind: probe.KindRaw, Port: s.Port}, s, true
		}
	}
	return probe.Target{}, pkconfig.Service{}, false
}
