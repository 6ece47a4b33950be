package fsm

import "time"

// Policy holds the thresholds of the machine. Zero or negative values are
// treated as: FailureThreshold 1, GracePeriod 0, Cooldown 0, MaxCooldown =
// Cooldown (no doubling).
type Policy struct {
	// FailureThreshold is how many consecutive kite-down verdicts lead
	// from healthy to grace.
	FailureThreshold int
	// GracePeriod is how long grace lasts before a kite-down may restart.
	GracePeriod time.Duration
	// Cooldown is the first cooldown after a restart.
	Cooldown time.Duration
	// MaxCooldown caps the doubling of the cooldown.
	MaxCooldown time.Duration
}

func (p Policy) threshold() int { return max(p.FailureThreshold, 1) }

func (p Policy) maxCooldown() time.Duration { return max(p.MaxCooldown, p.Cooldown) }
