package fsm

import "time"

// Gate is what the caller says, at the moment grace would turn into
// restarting, about whether a restart may happen now.
type Gate struct {
	// HoldUntil after now holds the machine in grace until then (watchdog
	// startup delay, PageKite process younger than its minimum age).
	HoldUntil time.Time
	// HoldReason says why, for the Step's Note.
	HoldReason string
	// BudgetFreeAt after now means the restart budget is exhausted: the
	// machine goes to cooldown until then, without a restart.
	BudgetFreeAt time.Time
	// BudgetReason says why, for the Step's Note.
	BudgetReason string
}
