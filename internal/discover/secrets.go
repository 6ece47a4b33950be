package discover

import (
	"github.com/pagekite/pkwatchdogd/internal/config"
	"github.com/pagekite/pkwatchdogd/internal/pkconfig"
	"github.com/pagekite/pkwatchdogd/internal/redact"
)

// Secrets returns the secrets in pagekite.py's files in every instance's
// rc_dir and in discovery.pagekite_dir (even when [[kite]] entries are
// configured), on the command lines of the running pagekitec processes, in
// discovery.uci_file and in the config's URLs (report.url's and the
// kites': redact.URLSecrets), for the crash-report redactor; what cannot
// be read gives none. Never log them.
func Secrets(c *config.Config, env Env) []string {
	var out []string
	out = append(out, redact.URLSecrets(c.Report.URL)...)
	for _, k := range c.Kites {
		out = append(out, redact.URLSecrets(k.URL)...)
	}
	return append(out, fileSecrets(c, env)...)
}

// fileSecrets are the secrets of PageKite's rc files, pagekitec's command
// lines and the UCI file.
func fileSecrets(c *config.Config, env Env) []string {
	dirs := []string{c.Discovery.PagekiteDir}
	for _, in := range c.Specs() {
		dirs = append(dirs, in.RCDir)
	}
	var out []string
	done := map[string]bool{"": true}
	for _, dir := range dirs {
		if done[dir] {
			continue
		}
		done[dir] = true
		if pk, _ := pkconfig.ParseDir(dir); pk != nil {
			out = append(out, pk.Secrets...)
		}
	}
	return append(out, pagekitecSecrets(c, env)...)
}

// pagekitecSecrets are the secrets of the running pagekitec processes and
// of the UCI file, for the redactor.
func pagekitecSecrets(c *config.Config, env Env) []string {
	var out []string
	if procs, _, err := env.Pagekitec(""); err == nil {
		for _, p := range procs {
			if pc, _ := pkconfig.ParsePagekitec(p.Cmdline[1:]); pc != nil {
				out = append(out, pc.Secrets...)
			}
		}
	}
	if c.Discovery.UCIFile != "" {
		if pc, _ := pkconfig.ParseUCI(c.Discovery.UCIFile); pc != nil {
			out = append(out, pc.Secrets...)
		}
	}
	return out
}
