package config

import (
	"fmt"
	"regexp"

	"github.com/pagekite/pkwatchdogd/internal/action"
)

// actionOptions are the restarter options r implies, starting from
// action.DefaultOptions (a key left out keeps its default there): the
// process regexp compiled and the signal parsed, once, here.
func actionOptions(r Restart) (action.Options, error) {
	match, err := regexp.Compile(r.ProcessMatch)
	if err != nil {
		return action.Options{}, fmt.Errorf("process_match: %w", err)
	}
	sig, err := ParseSignal(r.Signal)
	if err != nil {
		return action.Options{}, fmt.Errorf("signal: %w", err)
	}
	o := action.DefaultOptions()
	o.Method, o.PIDFile, o.Unit, o.ProcessMatch, o.User = r.Method, r.PIDFile, r.Unit, match, r.User
	o.Signal, o.Diagnostics = sig, r.Diagnostics
	o.AttachStacks, o.StacksTimeout = r.Stacks != action.StacksOff, r.StacksTimeout.Duration
	o.KillTimeout, o.RespawnTimeout, o.CommandTimeout = r.KillTimeout.Duration, r.RespawnTimeout.Duration, r.CommandTimeout.Duration
	o.StartCommand, o.Command, o.DryRun = r.StartCommand, r.Command, r.DryRun
	return o, nil
}
