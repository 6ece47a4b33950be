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
	// Source is what said it: the log (a file, journal:UNIT,
	// command:...) or "pagekitec status file PATH".
	Source string
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
	// cleared are the kites whose latest word was a connect; allCleared:
	// pagekitec's latest word was a connect.
	cleared    map[string]bool
	allCleared bool
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

// after returns s read after older: what s says wins, and a rejection in
// older that s says nothing about (its line has left the tail that was
// read) still stands. A nil s or older is no word.
func (s *Seen) after(older *Seen) *Seen {
	if s == nil || older == nil {
		return s
	}
	for name, r := range older.kites {
		if _, said := s.kites[name]; !said && !s.cleared[name] {
			s.kites[name] = r
		}
	}
	if s.all == nil && !s.allCleared {
		s.all = older.all
	}
	return s
}

// Scan reads the log lines of one PageKite instance, oldest first, and
// returns the rejections that the last lines leave standing. pagekitec
// says whether the lines are libpagekite's (pagekitec) or pagekite.py's.
// Only a whole line in the exact shape PageKite itself writes counts, so
// that a value a remote party can put into a log line (pagekite.py logs a
// rejected Authorization header as forbidden-user=...) never reads as a
// rejection:
//
//   - pagekite.py: "ts=T; t=..; ll=N; FE=R; err=Rejected; proto=P;
//     reason=WHY; domain=NAME[; id=ID]" and "...; FE=R; err=Duplicate;
//     proto=P; domain=NAME[; id=ID]" reject NAME; "...; FE=R; proto=P;
//     domain=NAME; ssl=BOOL[; id=ID]" (the relay accepted it) clears NAME.
//   - pagekitec: "[t=..; ts=T; ]tid=X; ll=N; msg=pkmanager.c: Rejected by
//     front-end" and "...msg=pkmanager.c: Rejected as a duplicate by
//     front-end" reject every kite of the process; "...msg=FD: Connected!"
//     clears.
//
// Either may follow a syslog or journal prefix without "=" in it
// ("1733040000.123456 host pagekite[12]: ", logread's "Mon Dec  1 ...
// daemon.err pagekitec[812]: "). Times come from the line's ts=HEX, or
// from a journal prefix's leading UNIX time (journalctl -o short-unix).
func Scan(lines []string, pagekitec bool) *Seen {
	s := &Seen{kites: map[string]Rejection{}, cleared: map[string]bool{}}
	for _, line := range lines {
		if pagekitec {
			s.cLine(line)
		} else {
			s.pyLine(line)
		}
	}
	return s
}

// pyLine takes one pagekite.py log line.
func (s *Seen) pyLine(line string) {
	prefix, words, ok := pyWords(line)
	if !ok || len(words) < 6 || words[3].k != "FE" {
		return
	}
	at := hexTime(words[0].v)
	if at.IsZero() {
		at = prefixTime(prefix)
	}
	relay, rest := words[3].v, words[4:]
	if n := len(rest); n > 0 && rest[n-1].k == "id" {
		if !isToken(rest[n-1].v) {
			return
		}
		rest = rest[:n-1]
	}
	shape := func(keys ...string) bool {
		if len(rest) != len(keys) {
			return false
		}
		for i, k := range keys {
			if rest[i].k != k || !isToken(rest[i].v) {
				return false
			}
		}
		return true
	}
	switch {
	case shape("err", "proto", "reason", "domain") && rest[0].v == "Rejected":
		name := strings.ToLower(rest[3].v)
		s.kites[name] = Rejection{Kite: name, Reason: rest[2].v, Relay: relay, At: at}
		delete(s.cleared, name)
	case shape("err", "proto", "domain") && rest[0].v == "Duplicate":
		name := strings.ToLower(rest[2].v)
		s.kites[name] = Rejection{Kite: name, Reason: "duplicate", Duplicate: true, Relay: relay, At: at}
		delete(s.cleared, name)
	case shape("proto", "domain", "ssl") && (rest[2].v == "True" || rest[2].v == "False"):
		name := strings.ToLower(rest[1].v)
		delete(s.kites, name)
		s.cleared[name] = true
	}
}

// cLine takes one pagekitec log line.
func (s *Seen) cLine(line string) {
	prefix, ts, msg, ok := cWords(line)
	if !ok {
		return
	}
	at := hexTime(ts)
	if at.IsZero() {
		at = prefixTime(prefix)
	}
	switch {
	case msg == "pkmanager.c: Rejected as a duplicate by front-end":
		s.all, s.allCleared = &Rejection{Reason: "duplicate", Duplicate: true, At: at}, false
	case msg == "pkmanager.c: Rejected by front-end":
		s.all, s.allCleared = &Rejection{Reason: "rejected by front-end", At: at}, false
	case strings.HasSuffix(msg, ": Connected!") && isDigits(strings.TrimSuffix(msg, ": Connected!")):
		s.all, s.allCleared = nil, true
	}
}

// word is one "key=value" of a PageKite log line.
type word struct{ k, v string }

// words splits PageKite's "key=value; key=value" text; false when a part
// has no "=".
func words(text string) ([]word, bool) {
	var out []word
	for part := range strings.SplitSeq(text, "; ") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, false
		}
		out = append(out, word{k, v})
	}
	return out, true
}

// pyWords splits a pagekite.py line after its prefix: it must start with
// ts=HEX; t=...; ll=HEX (LogValues writes those first, and turns "; "
// inside a value into ", ", so a value cannot make a word of its own).
func pyWords(line string) (prefix string, ws []word, ok bool) {
	prefix, body, ok := cutPrefix(line)
	if !ok || !strings.HasPrefix(body, "ts=") {
		return "", nil, false
	}
	if ws, ok = words(body); !ok || len(ws) < 3 || ws[1].k != "t" || ws[2].k != "ll" || !isHex(ws[0].v) || !isHex(ws[2].v) {
		return "", nil, false
	}
	for i := range ws {
		ws[i].v = strings.TrimSpace(ws[i].v)
	}
	return prefix, ws, true
}

// cWords splits a pagekitec line after its prefix as pk_log writes it:
// "t=..; ts=HEX; tid=HEX; ll=HEX; msg=TEXT" (to a file) or
// "tid=HEX; ll=HEX; msg=TEXT" (to syslog); ts is "" in the second form,
// msg the rest of the line.
func cWords(line string) (prefix, ts, msg string, ok bool) {
	prefix, body, ok := cutPrefix(line)
	if !ok {
		return "", "", "", false
	}
	head, msg, ok := strings.Cut(body, "; msg=")
	if !ok {
		return "", "", "", false
	}
	ws, ok := words(head)
	switch {
	case !ok:
		return "", "", "", false
	case len(ws) == 2 && ws[0].k == "tid" && ws[1].k == "ll":
	case len(ws) == 4 && ws[0].k == "t" && ws[1].k == "ts" && ws[2].k == "tid" && ws[3].k == "ll" && isHex(ws[1].v):
		ts = ws[1].v
	default:
		return "", "", "", false
	}
	if !isHex(ws[len(ws)-2].v) || !isHex(ws[len(ws)-1].v) {
		return "", "", "", false
	}
	return prefix, ts, strings.TrimRight(msg, " \t"), true
}

// cutPrefix splits a line into a syslog or journal prefix ("" or text
// ending in ": " with no "=" in it) and PageKite's own words.
func cutPrefix(line string) (prefix, body string, ok bool) {
	eq := strings.IndexByte(line, '=')
	if eq < 0 {
		return "", "", false
	}
	head := line[:eq]
	k := strings.LastIndex(head, ": ")
	if k < 0 {
		if strings.ContainsAny(head, " ;") {
			return "", "", false
		}
		return "", line, true
	}
	if strings.ContainsAny(head[k+2:], " ;") {
		return "", "", false
	}
	return line[:k+2], line[k+2:], true
}

// hexTime is pagekite's ts=HEX as a time; zero when it is none.
func hexTime(hex string) time.Time {
	if n, err := strconv.ParseInt(hex, 16, 64); err == nil && n > 0 {
		return time.Unix(n, 0)
	}
	return time.Time{}
}

// prefixTime is a journal prefix's leading UNIX time ("1733040000.123456
// host ...", journalctl -o short-unix); zero when it has none.
func prefixTime(prefix string) time.Time {
	head, _, _ := strings.Cut(prefix, " ")
	if sec, frac, ok := strings.Cut(head, "."); ok && len(sec) >= 9 && isDigits(sec) && isDigits(frac) {
		n, _ := strconv.ParseInt(sec, 10, 64)
		ns, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		return time.Unix(n, ns)
	}
	return time.Time{}
}

// isToken: v is a plain PageKite value (a kite name, protocol, reason or
// connection id): letters, digits and "._-:*" only, and not empty.
func isToken(v string) bool {
	if v == "" || len(v) > 253 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._-:*", c) >= 0) {
			return false
		}
	}
	return true
}

func isHex(v string) bool {
	if v == "" || len(v) > 16 {
		return false
	}
	_, err := strconv.ParseUint(v, 16, 64)
	return err == nil
}

func isDigits(v string) bool {
	if v == "" || len(v) > 19 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}
