package logging

import "go.uber.org/zap"

// Journal MESSAGE_IDs of the events an operator may want to find or alert on
// (`journalctl MESSAGE_ID=...`). They are 128-bit ids, generated once; never
// change them.
const (
	// MsgRestart: pkwatchdogd restarts PageKite (kills it for a core dump).
	MsgRestart = "d130a4f7c838fd92a3ab959e43882262"
	// MsgRestartSuppressed: a restart was due but the restart budget, the
	// dry-run mode or a gate held it back.
	MsgRestartSuppressed = "b581e5e8f1edd680046e4ca8a26b53b9"
	// MsgReportUploaded: a crash report reached PageKite.net.
	MsgReportUploaded = "e871704cc415c51b341572d876529eb4"
	// MsgKiteRecovered: a kite that was down is flying again.
	MsgKiteRecovered = "72bbcb614a4845cfc2199fccd7bf6cd1"
	// MsgKiteDown: the relay says a kite is not connected; the grace period
	// before a restart has begun.
	MsgKiteDown = "134502c7311aa92f45a0f69eabde3eeb"
	// MsgKiteRejected: the relay refuses a kite (PageKite's log or status
	// file says so: a wrong secret, an expired account, a duplicate);
	// pkwatchdogd does not restart PageKite for it.
	MsgKiteRejected = "a93ce442a8e448e783146fc4c4029997"
)

// messageIDKey is the zap key of MessageID; the journal core maps it to
// MESSAGE_ID, the console and JSON encoders show it as an ordinary field.
const messageIDKey = "message_id"

// MessageID tags a log entry with a journal MESSAGE_ID, one of the Msg
// constants.
func MessageID(id string) zap.Field {
	return zap.String(messageIDKey, id)
}
