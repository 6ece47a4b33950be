// Package pklog reads what PageKite's own log says about its kites: that
// the relay rejected one (a wrong secret, an expired account, a duplicate
// of a tunnel the relay still holds). A restart cannot fix a rejection, so
// a probe's kite-down for such a kite becomes the verdict rejected
// (Explain).
//
// Scan is pure (lines in, rejections out); Source reads the lines: the
// last MaxTail bytes of a log file, or the last lines of a systemd unit's
// journal.
package pklog
