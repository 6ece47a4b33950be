// Package logging builds pkwatchdogd's zap logger.
//
// Under systemd it logs natively to the journal: every zap field becomes a
// journal field of its own (kite → KITE, error → ERROR), so that
// `journalctl -u pkwatchdogd KITE=example.pagekite.me` finds one kite's
// story, and the important events carry a fixed MESSAGE_ID (see the Msg
// constants and MessageID). Elsewhere it writes console lines, or JSON, to
// stderr.
package logging
