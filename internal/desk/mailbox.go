package desk

import "time"

// AnswerKind is what the desk tells a kite.
type AnswerKind int

// The answers; see the package comment.
const (
	AnswerHold AnswerKind = iota
	AnswerBegin
	AnswerCool
)

// Answer is the desk's word to one kite.
type Answer struct {
	Kind AnswerKind
	// Until ends the hold or the cooldown.
	Until time.Time
	// Restarted (with AnswerCool): the kite's instance was restarted, with
	// Outcome (an action.Outcome*).
	Restarted bool
	Outcome   string
	// Note says why, for the kite's log and status.
	Note string
	// At is when the desk decided.
	At time.Time
}

// Mailbox holds the desk's latest answer to one kite. A newer answer
// replaces one not yet taken: each answer supersedes the ones before it
// (a cooldown after the restart supersedes "restarting"), so a kite busy
// probing loses nothing it needs, and the desk never waits for a kite.
type Mailbox struct {
	c      chan Answer
	notify func()
}

// NewMailbox returns an empty mailbox; notify, when not nil, is called
// after each answer is left (it must not block).
func NewMailbox(notify func()) *Mailbox { return &Mailbox{c: make(chan Answer, 1), notify: notify} }

// C delivers the answers.
func (m *Mailbox) C() <-chan Answer { return m.c }

// put leaves a, replacing an answer not yet taken. Only the desk's loop
// puts, so the second send cannot block.
func (m *Mailbox) put(a Answer) {
	defer m.tell()
	select {
	case m.c <- a:
		return
	default:
	}
	select {
	case <-m.c:
	default:
	}
	m.c <- a
}

func (m *Mailbox) tell() {
	if m.notify != nil {
		m.notify()
	}
}
