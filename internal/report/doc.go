// Package report builds crash reports after PageKite was restarted and
// uploads them to PageKite.net.
//
// A report is a tar archive, uploaded as KITENAME-DOWN.tar (after the first
// kite of the restarted instance confirmed down, as the original
// pagekite_watchdog.sh named it), holding the PageKite log around the
// failure (root/pagekite-restart.log.gz, the script's member), a
// description of what happened (report.json: every kite of the instance)
// and, only when the user opted in, the core dump (core.gz).
// Everything but the core is scrubbed by internal/redact before it touches
// the disk. Bundles are kept under STATE_DIR/reports, bounded in number and
// size; the Uploader sends one, rate-limited, over verified HTTPS. A Queue
// builds and uploads them one at a time, off the restart's path, and says
// what became of each (Outcome); uploads that are off are the uploader's
// ErrUploadsOff, never a missing uploader.
package report
