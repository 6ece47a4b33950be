package discover

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"go.uber.org/zap"

	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/pkconfig"
)

// rc fills in's targets from pagekite.py's rc files in its rc_dir.
func (d discoverer) rc(in *config.Instance) error {
	dir := in.RCDir
	if dir == "" {
		return fmt.Errorf("pagekite %s: %w: no [[kite]] names it and it has no rc_dir", in.Name, ErrNoKites)
	}
	pk, err := pkconfig.ParseDir(dir)
	var perr *pkconfig.Errors
	switch {
	case errors.As(err, &perr):
		// Problem texts never hold secrets.
		d.log.Warn("pagekite config has bad lines; skipped them",
			zap.String("pagekite", in.Name), zap.String("dir", dir), zap.Int("problems", len(perr.Problems)), zap.Error(err))
	case err != nil:
		return fmt.Errorf("pagekite %s: no pagekite.py rc files: %w", in.Name, err)
	}
	if pk.NotConfigured {
		return fmt.Errorf("pagekite %s: discover kites in %s: %w (abort_not_configured is set): configure PageKite or add [[kite]] entries", in.Name, dir, ErrNotConfigured)
	}
	relay, via := relayOf(pk)
	var skipped []string
	in.Targets, skipped = d.targetsOf(in, pk.Kites, relay, via, dir, nil)
	switch {
	case len(in.Targets) == 0 && len(skipped) > 0:
		return fmt.Errorf("pagekite %s: discover kites in %s: %w%s", in.Name, dir, ErrNoKites, skippedNote(skipped))
	case len(in.Targets) == 0:
		return fmt.Errorf("pagekite %s: discover kites in %s: %w: no enabled service_on line", in.Name, dir, ErrNoKites)
	}
	in.Discovered, in.From = true, "rc files in "+dir
	return nil
}

// relayOf returns the relay that pagekite.py's files name for their kites,
// "host:port", and says where it comes from: a single frontend =
// host:port, or frontends = 1:dnsname:port. With defaults (pagekite.net),
// a pool of several, or several relays, it returns "": the probe then
// connects to the kite's name, which resolves to a relay the kite flies
// on.
func relayOf(pk *pkconfig.Config) (addr, via string) {
	seen := map[string]bool{}
	for _, f := range pk.Frontends {
		parts := strings.Split(f, ":")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		switch {
		case len(parts) == 2:
			addr, via = net.JoinHostPort(parts[0], parts[1]), "frontend = "+f
		case len(parts) == 3 && parts[0] == "1":
			addr, via = net.JoinHostPort(parts[1], parts[2]), "frontends = "+f
		default:
			return "", "" // a pool: any of several relays
		}
		seen[addr] = true
	}
	if len(seen) != 1 {
		return "", ""
	}
	return addr, via
}
