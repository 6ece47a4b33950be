// Package report builds crash reports after PageKite was restarted and
// uploads them to PageKite.net.
//
// A report is a tar archive, KITE-DOWN.tar, holding the PageKite log around
// the failure (pagekite-restart.log.gz), a description of what happened
// (report.json) and, only when the user opted in, the core dump (core.gz).
// Everything but the core is scrubbed by internal/redact before it touches
// the disk. Bundles are kept under STATE_DIR/reports, bounded in number and
// size; the Uploader sends one, rate-limited, over verified HTTPS.
package report
