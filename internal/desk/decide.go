package desk

import (
	"fmt"
	"time"
)

// Policy is an instance's restart policy.
type Policy struct {
	// Cooldown follows a restart; it doubles after each restart that did
	// not help (a kite of the instance asked again without having been
	// healthy for a whole cooldown), up to MaxCooldown.
	Cooldown, MaxCooldown time.Duration
	// MinProcessAge holds back a restart of a process younger than this;
	// StartupDelay one within this time of pkwatchdogd's start or of boot.
	MinProcessAge, StartupDelay time.Duration
	// DryRun: the restarter signals nothing; the real budget is not
	// spent, but the dry run's would-be restarts count against a budget of
	// its own, so that it says when a real run would be suppressed.
	DryRun bool
}

// Facts are what the desk knows when a restart of an instance is due.
type Facts struct {
	Now time.Time
	// Started is when pkwatchdogd started; Uptime how long the machine
	// has been up (0: unknown).
	Started time.Time
	Uptime  time.Duration
	// ProcessStarted and PID describe the PageKite process found; zero
	// when none was found (the restarter then decides what to do).
	ProcessStarted time.Time
	PID            int
	// BudgetOK says the restart budget allows one more restart now; if
	// not, BudgetFreeAt is when it will (zero: never), with InWindow
	// restarts in the window.
	BudgetOK     bool
	BudgetFreeAt time.Time
	InWindow     int
	// CooldownUntil ends the instance's running cooldown (zero: none).
	CooldownUntil time.Time
}

// DecisionKind says what the desk does about a due restart.
type DecisionKind int

// The decisions.
const (
	// Go: restart now.
	Go DecisionKind = iota
	// Hold: not before Until.
	Hold
	// Suppress: no restart, the budget is spent; cooldown until Until.
	Suppress
	// Cooling: no restart, the instance is cooling down after its last
	// one; cooldown until Until.
	Cooling
)

// Decision is the outcome of Decide.
type Decision struct {
	Kind   DecisionKind
	Until  time.Time
	Reason string
}

// Decide applies the gates, in order: a running cooldown, the startup
// delay (of pkwatchdogd and of the machine), the process's minimum age,
// then the restart budget. It is pure.
func Decide(p Policy, f Facts) Decision {
	now := f.Now
	if f.CooldownUntil.After(now) {
		return Decision{Kind: Cooling, Until: f.CooldownUntil,
			Reason: "the instance is cooling down after its last restart"}
	}
	var d Decision
	hold := func(until time.Time, reason string) {
		if until.After(now) && until.After(d.Until) {
			d = Decision{Kind: Hold, Until: until, Reason: reason}
		}
	}
	hold(f.Started.Add(p.StartupDelay),
		fmt.Sprintf("pkwatchdogd started less than startup_delay (%s) ago", p.StartupDelay))
	if f.Uptime > 0 && f.Uptime < p.StartupDelay {
		hold(now.Add(p.StartupDelay-f.Uptime),
			fmt.Sprintf("the machine booted less than startup_delay (%s) ago", p.StartupDelay))
	}
	if p.MinProcessAge > 0 && !f.ProcessStarted.IsZero() {
		if age := now.Sub(f.ProcessStarted); age < p.MinProcessAge {
			hold(now.Add(p.MinProcessAge-age),
				fmt.Sprintf("PageKite (pid %d) is younger than min_process_age (%s)", f.PID, p.MinProcessAge))
		}
	}
	if d.Kind == Hold {
		return d
	}
	if !f.BudgetOK {
		until := f.BudgetFreeAt
		if !until.After(now) {
			until = now.Add(p.Cooldown) // never (max_restarts = 0): ask again after a cooldown
		}
		reason := fmt.Sprintf("restart budget exhausted (%d restarts in the window)", f.InWindow)
		if p.DryRun {
			reason = fmt.Sprintf("dry run: would be suppressed: restart budget exhausted (%d restarts and would-be restarts in the window)", f.InWindow)
		}
		return Decision{Kind: Suppress, Until: until, Reason: reason}
	}
	return Decision{Kind: Go}
}

// NextCooldown is the cooldown after a restart: p.Cooldown, or, when the
// restart follows one that did not help (relapse), twice the previous
// cooldown, at most p.MaxCooldown.
func NextCooldown(p Policy, prev time.Duration, relapse bool) time.Duration {
	base := max(p.Cooldown, 0)
	if !relapse || prev <= 0 {
		return base
	}
	return min(max(2*prev, base), max(p.MaxCooldown, base))
}
