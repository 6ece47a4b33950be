package config

import (
	"fmt"
	"strings"

	"github.com/pagekite/pkwatchdogd/internal/action"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// Instance is one PageKite instance with every key resolved: the
// [[pagekite]] entry over [restart] and [report], or, with no [[pagekite]],
// the implicit instance DefaultInstance made of [restart],
// [report].log_file/journal_unit and [discovery].pagekite_dir.
type Instance struct {
	Name string
	// Kind is pagekite.Py, pagekite.C or pagekite.Unknown (guessed from
	// the process).
	Kind pagekite.Kind
	// Restart are its resolved restart keys, as the config spells them;
	// Action is what they mean to its restarter (set by Instances).
	Restart     Restart
	Action      action.Options
	LogFile     string
	JournalUnit string
	// LogCommand, when set, is the command whose output is its log.
	LogCommand []string
	// RCDir is where its kites are discovered when no [[kite]] names it.
	RCDir string
	// StatusFile is pagekitec's -Y status file: the [[pagekite]]'s, or
	// the one its command line names (when discovered from it).
	StatusFile string
	// Targets are its kites: the [[kite]] entries that name it, or those
	// discovered in RCDir (Discovered).
	Targets    []probe.Target
	Discovered bool
	// From says where discovered kites came from, for validate: "rc files
	// in DIR", "pagekitec's command line (pid N)", "UCI file FILE".
	From string
}

// Specs returns the instances without their kites, resolved from the
// config alone (no file is read), in config order. A config with no
// [[pagekite]] has one, DefaultInstance.
func (c *Config) Specs() []Instance {
	if len(c.Pagekites) == 0 {
		return []Instance{{
			Name:        DefaultInstance,
			Restart:     c.Restart,
			LogFile:     c.Report.LogFile,
			JournalUnit: c.Report.JournalUnit,
			LogCommand:  c.Report.LogCommand,
			RCDir:       c.Discovery.PagekiteDir,
		}}
	}
	out := make([]Instance, len(c.Pagekites))
	for i, p := range c.Pagekites {
		out[i] = c.resolve(p)
	}
	return out
}

// resolve is p with every key left out taken from [restart] and [report].
func (c *Config) resolve(p Pagekite) Instance {
	in := Instance{Name: p.Name, Kind: p.Kind, Restart: c.Restart, LogFile: c.Report.LogFile,
		JournalUnit: c.Report.JournalUnit, RCDir: p.RCDir, StatusFile: statusPath(p.StatusFile)}
	if in.RCDir == "" && len(c.Pagekites) == 1 {
		in.RCDir = c.Discovery.PagekiteDir
	}
	pick(&in.LogFile, p.LogFile)
	pick(&in.JournalUnit, p.JournalUnit)
	in.LogCommand = c.Report.LogCommand
	pick(&in.LogCommand, p.LogCommand)
	r := &in.Restart
	pick(&r.DryRun, p.DryRun)
	pick(&r.Method, p.Method)
	pick(&r.PIDFile, p.PIDFile)
	pick(&r.Unit, p.Unit)
	pick(&r.ProcessMatch, p.ProcessMatch)
	pick(&r.User, p.User)
	pick(&r.Signal, p.Signal)
	pick(&r.Diagnostics, p.Diagnostics)
	pick(&r.Stacks, p.Stacks)
	pick(&r.StacksTimeout, p.StacksTimeout)
	pick(&r.KillTimeout, p.KillTimeout)
	pick(&r.RespawnTimeout, p.RespawnTimeout)
	pick(&r.StartCommand, p.StartCommand)
	pick(&r.Command, p.Command)
	pick(&r.CommandTimeout, p.CommandTimeout)
	return in
}

// pick sets *dst to *v when v is set.
func pick[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// owner returns the instance a [[kite]] belongs to: the one it names, or
// the only one.
func (c *Config) owner(k Kite, specs []Instance) string {
	if k.Pagekite != "" || len(specs) != 1 {
		return k.Pagekite
	}
	return specs[0].Name
}

// Instances returns every PageKite instance as the config alone says, in
// config order: the [[kite]] entries that name it as its Targets and its
// ready restarter options (Action). It reads no file: an instance no
// [[kite]] names has no Targets, and internal/discover finds them.
func (c *Config) Instances() ([]Instance, error) {
	kites := Config{Kites: append([]Kite(nil), c.Kites...)}
	kites.fillKiteDefaults() // for a Config built in code rather than loaded
	specs := c.Specs()
	index := make(map[string]int, len(specs))
	for i, in := range specs {
		index[in.Name] = i
	}
	for _, k := range kites.Kites {
		i, ok := index[c.owner(k, specs)]
		if !ok {
			return nil, fmt.Errorf("kite %s: no [[pagekite]] named %q", k.Name, k.Pagekite)
		}
		specs[i].Targets = append(specs[i].Targets, probe.Target{
			Name: k.Name, Kind: k.Kind, URL: k.URL, Port: k.Port, ConnectTo: k.ConnectTo,
			HTTPSOnly: k.HTTPSOnly, Expect: k.Expect,
		})
	}
	for i := range specs {
		in := &specs[i]
		var err error
		if in.Action, err = actionOptions(in.Restart); err != nil {
			return nil, fmt.Errorf("pagekite %s: %w", in.Name, err)
		}
	}
	return specs, nil
}

// ForceDryRun makes every instance a dry run (run --dry-run), whatever
// [restart] and [[pagekite]] say.
func (c *Config) ForceDryRun() {
	c.Restart.DryRun = true
	for i := range c.Pagekites {
		yes := true
		c.Pagekites[i].DryRun = &yes
	}
}

// statusPath is a status_file value without its "json:" or "text:"
// prefix (pagekitec's -Y takes both forms; the reader knows both).
func statusPath(v string) string {
	if f, path, ok := strings.Cut(v, ":"); ok && (strings.EqualFold(f, "json") || strings.EqualFold(f, "text")) {
		return path
	}
	return v
}
