package pklog

import (
	"strconv"
	"strings"
	"time"
)

// DuplicateHold is how long a "rejected as a duplicate" holds a kite's
// restarts back after it was logged: the relay still holds the kite's old
// tunnel and lets go of it once that tunnel misses its pings (about 150 s
// on a PageKite relay: a 116 s ping interval plus grace). Past that, a
// kite the relay still reports as not connected counts as kite-down again.
const DuplicateHold = 5 * time.Minute

// Rejection is a relay's refusal of a kite, as PageKite logged it.
type Rejection struct {
	// Kite is the kite's name; "" when the line names none (pagekitec
	// logs one rejection for its whole tunnel, all its kites).
	Kite string
	// Reason is the relay's reason as logged ("signature", "quota",
	// "duplicate", "rejected by front-end").
	Reason string
	// Duplicate: the relay still holds an older tunnel for the kite.
	Duplicate bool
	// Relay is the relay that refused ("host:port"), when logged.
	Relay string
	// At is when it was logged; zero when the line carries no time.
	At time.Time
}

// Current reports whether r still stands at now: a rejection stands until
// PageKite logs the kite connected; a duplicate also ends DuplicateHold
// after it was logged (when its time is known).
func (r Rejection) Current(now time.Time) bool {
	return !r.Duplicate || r.At.IsZero() || now.Sub(r.At) < DuplicateHold
}

// Advice says what the operator can do about r.
func (r Rejection) Advice() string {
	switch {
	case r.Duplicate:
		return "the relay still holds an older tunnel for this kite and lets go of it within minutes; pkwatchdogd waits " +
			DuplicateHold.String() + " after the last duplicate before a kite-down counts again"
	case r.Reason == "quota" || r.Reason == "noquota":
		return "the PageKite account is out of quota: see the account at the relay's operator (pagekite.net)"
	case r.Reason == "nodays":
		return "the PageKite subscription has expired: renew it"
	case r.Reason == "noconns":
		return "the account flies too many kites at once: stop some, or raise the account's limit"
	}
	return "check the kite's secret (kitesecret, or the secret in service_on / on pagekitec's command line) and that the kite name belongs to the account"
}

// Seen is what a log says about rejections: the latest word on each kite,
// and on the whole instance (pagekitec).
type Seen struct {
	kites map[string]Rejection
	all   *Rejection
}

// For returns the rejection that stands for kite at now, if any: the
// kite's own, else the instance's.
func (s *Seen) For(kite string, now time.Time) (Rejection, bool) {
	if s == nil {
		return Rejection{}, false
	}
	if r, ok := s.kites[strings.ToLower(kite)]; ok && r.Current(now) {
		return r, true
	}
	if s.all != nil && s.all.Current(now) {
		r := *s.all
		r.Kite = kite
		return r, true
	}
	return Rejection{}, false
}

// Scan reads log lines, oldest first, and returns the rejections that the
// last lines leave standing. It knows:
//
//   - pagekite.py: "FE=R; err=Rejected; proto=P; reason=WHY; domain=NAME"
//     and "FE=R; err=Duplicate; proto=P; domain=NAME" reject NAME;
//     "FE=R; proto=P; domain=NAME; ssl=..." (the relay accepted it) clears
//     NAME.
//   - pagekitec: "Rejected by front-end" and "Rejected as a duplicate by
//     front-end" reject every kite of the process; "N: Connected!" clears.
//
// Times come from pagekite's ts=HEX, or from a journal line's leading
// UNIX time (journalctl -o short-unix).
func Scan(lines []string) *Seen {
	s := &Seen{kites: map[string]Rejection{}}
	for _, line := range lines {
		s.line(line)
	}
	return s
}

// line takes one log line.
func (s *Seen) line(line string) {
	switch {
	case strings.Contains(line, "Rejected as a duplicate by front-end"):
		s.all = &Rejection{Reason: "duplicate", Duplicate: true, At: lineTime(line)}
		return
	case strings.Contains(line, "Rejected by front-end"):
		s.all = &Rejection{Reason: "rejected by front-end", At: lineTime(line)}
		return
	case strings.Contains(line, ": Connected!"):
		s.all = nil
		return
	}
	if !strings.Contains(line, "FE=") || !strings.Contains(line, "domain=") {
		return
	}
	f := fields(line)
	name := strings.ToLower(f["domain"])
	if name == "" || f["FE"] == "" {
		return
	}
	switch f["err"] {
	case "Rejected":
		reason := f["reason"]
		if reason == "" {
			reason = "rejected"
		}
		s.kites[name] = Rejection{Kite: name, Reason: reason, Relay: f["FE"], At: lineTime(line)}
	case "Duplicate":
		s.kites[name] = Rejection{Kite: name, Reason: "duplicate", Duplicate: true, Relay: f["FE"], At: lineTime(line)}
	case "":
		if f["proto"] != "" && f["ssl"] != "" {
			delete(s.kites, name)
		}
	}
}

// fields parses pagekite's "key=value; key=value" line (keys without a
// value are left out); a journal line's prefix before the first key is
// part of the first key, which is never one Scan asks for.
func fields(line string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(line, "; ") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		if i := strings.LastIndexByte(k, ' '); i >= 0 {
			k = k[i+1:] // "... pagekite[12]: ts" → "ts"
		}
		out[k] = strings.TrimSpace(v)
	}
	return out
}

// lineTime is when a line was logged: its ts=HEX (pagekite.py,
// pagekitec), else a leading UNIX time ("1733040000.123456 host ...",
// journalctl -o short-unix); zero when neither.
func lineTime(line string) time.Time {
	if i := strings.Index(line, "ts="); i >= 0 && (i == 0 || line[i-1] == ' ' || line[i-1] == ';') {
		hex := line[i+3:]
		if j := strings.IndexAny(hex, "; "); j >= 0 {
			hex = hex[:j]
		}
		if n, err := strconv.ParseInt(hex, 16, 64); err == nil && n > 0 {
			return time.Unix(n, 0)
		}
	}
	head, _, _ := strings.Cut(line, " ")
	if sec, frac, ok := strings.Cut(head, "."); ok && len(sec) >= 9 {
		if n, err := strconv.ParseInt(sec, 10, 64); err == nil {
			ns, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
			return time.Unix(n, ns)
		}
	}
	return time.Time{}
}
