package config

import (
	"errors"
	"fmt"
	"strconv"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/pkconfig"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// Targets returns what to probe: the [[kite]] entries, or, when there are
// none, the kites discovered in discovery.pagekite_dir.
//
// Discovery makes one target per kite name: an http target with URL
// https://NAME/ when the kite has an http, https or websocket service on
// the default port (http://NAME:PORT/ or https://NAME:PORT/ when only on
// another port), otherwise a raw target for its first raw-N service, with
// Port N. Lines of the rc files that do not parse are logged (log may be
// nil) and skipped; the other kites are still watched.
//
// It returns:
//   - (targets, nil): at least one target;
//   - (nil, err wrapping ErrNotConfigured): pagekite.py's files are the stock,
//     unconfigured ones (abort_not_configured);
//   - (nil, err wrapping ErrNoKites): no enabled kite was found;
//   - (nil, err): pagekite_dir cannot be read (wraps the os error).
func (c *Config) Targets(log *zap.Logger) ([]probe.Target, error) {
	if len(c.Kites) > 0 {
		kites := Config{Kites: append([]Kite(nil), c.Kites...)}
		kites.fillKiteDefaults() // for a Config built in code rather than loaded
		targets := make([]probe.Target, 0, len(c.Kites))
		for _, k := range kites.Kites {
			targets = append(targets, probe.Target{
				Name:      k.Name,
				Kind:      probe.Kind(k.Kind),
				URL:       k.URL,
				Port:      k.Port,
				ConnectTo: k.ConnectTo,
			})
		}
		return targets, nil
	}
	dir := c.Discovery.PagekiteDir
	pk, err := pkconfig.ParseDir(dir)
	var perr *pkconfig.Errors
	switch {
	case errors.As(err, &perr):
		if log != nil {
			// Problem texts never hold secrets.
			log.Warn("pagekite config has bad lines; skipped them",
				zap.String("dir", dir), zap.Int("problems", len(perr.Problems)), zap.Error(err))
		}
	case err != nil:
		return nil, fmt.Errorf("discover kites: %w", err)
	}
	if pk.NotConfigured {
		return nil, fmt.Errorf("discover kites in %s: %w (abort_not_configured is set): configure PageKite or add [[kite]] entries", dir, ErrNotConfigured)
	}
	var targets []probe.Target
	for _, k := range pk.Kites {
		if t, ok := discoveredTarget(k); ok {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("discover kites in %s: %w: no enabled service_on line", dir, ErrNoKites)
	}
	return targets, nil
}

// discoveredTarget turns a kite found in pagekite.py's files into a target.
func discoveredTarget(k pkconfig.Kite) (probe.Target, bool) {
	if k.HasProto("http", "https", "websocket") {
		for _, s := range k.Services {
			if s.Port == 0 && (s.Base() == "http" || s.Base() == "https" || s.Base() == "websocket") {
				return probe.Target{Name: k.Name, Kind: probe.KindHTTP, URL: "https://" + k.Name + "/"}, true
			}
		}
		for _, s := range k.Services {
			switch s.Base() {
			case "http", "websocket":
				return probe.Target{Name: k.Name, Kind: probe.KindHTTP, URL: "http://" + k.Name + ":" + strconv.Itoa(s.Port) + "/"}, true
			case "https":
				return probe.Target{Name: k.Name, Kind: probe.KindHTTP, URL: "https://" + k.Name + ":" + strconv.Itoa(s.Port) + "/"}, true
			}
		}
	}
	for _, s := range k.Services {
		if s.Base() == "raw" && s.Port > 0 {
			return probe.Target{Name: k.Name, Kind: probe.KindRaw, Port: s.Port}, true
		}
	}
	return probe.Target{}, false
}

// Secrets returns the secrets in pagekite.py's files in
// discovery.pagekite_dir (even when [[kite]] entries are configured), for
// the crash-report redactor; nil when the directory cannot be read. Never
// log them.
func (c *Config) Secrets() []string {
	if c.Discovery.PagekiteDir == "" {
		return nil
	}
	pk, _ := pkconfig.ParseDir(c.Discovery.PagekiteDir)
	if pk == nil {
		return nil
	}
	return pk.Secrets
}
