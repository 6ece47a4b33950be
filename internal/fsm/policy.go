package fsm

import "time"

// Policy holds the thresholds of the machine. Zero or negative values are
// treated as: FailureThreshold 1, GracePeriod 0. Cooldowns are not here:
// they belong to the PageKite instance, and the restart desk hands each
// one to Cool.
type Policy struct {
	// FailureThreshold is how many consecutive Down verdicts lead from
	// healthy to grace.
	FailureThreshold int
	// GracePeriod is how long grace lasts before a Down makes a restart
	// decision due.
	GracePeriod time.Duration
}

func (p Policy) threshold() int { return max(p.FailureThreshold, 1) }
