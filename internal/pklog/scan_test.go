package pklog

import (
	"strings"
	"testing"
	"time"
)

// Lines as Debian's pagekite 1.5.2 writes them (captured from a kite with a
// wrong secret, and from a connected one), and as libpagekite's pagekitec
// writes them (pk_perror and pkmanager.c, in libpagekite 0.91's format: the
// real pagekitec is not installable here).
const (
	pyRejected  = "ts=6b0e876a; t=2026-12-01T08:38:02; ll=3; FE=127.0.0.1:29555; err=Rejected; proto=http; reason=signature; domain=bad.kite.test; id=s1"
	pyDuplicate = "ts=6b0e876a; t=2026-12-01T08:38:02; ll=3; FE=127.0.0.1:29555; err=Duplicate; proto=http; domain=bad.kite.test; id=s1"
	pyConnected = "ts=6b0e8405; t=2026-12-01T08:40:33; ll=3; FE=127.0.0.1:29555; proto=http; domain=bad.kite.test; ssl=False; id=s1"
	pyOther     = "ts=6b0e8405; t=2026-12-01T08:40:33; ll=3; FE=127.0.0.1:29555; proto=http; domain=good.kite.test; ssl=False; id=s2"
	pyPing      = "ts=6b0e876b; t=2026-12-01T08:38:03; ll=6; FE=127.0.0.1:29555; http_ping_ms=15; win=2; uuid=48e4; wanted_by=config"
	pyRequest   = "ts=6b0e876b; t=2026-12-01T08:38:03; ll=7; GET=/; proto=http; domain=bad.kite.test; is=BE; remote_ip=127.0.0.1; err=No back-end; id=s3"
	cRejected   = "t=2026-12-01 08:38:02.123; ts=6b0e876a; tid=7f12; ll=12; msg=pkmanager.c: Rejected by front-end"
	cDuplicate  = "t=2026-12-01 08:38:02.123; ts=6b0e876a; tid=7f12; ll=12; msg=pkmanager.c: Rejected as a duplicate by front-end"
	cConnected  = "t=2026-12-01 08:40:00.000; ts=6b0e8700; tid=7f12; ll=13; msg=5: Connected!"
	// A journal line (journalctl -o short-unix) of pagekitec logging to
	// syslog: no ts=, the time is the journal's.
	jRejected = "1796113082.123456 router pagekitec[812]: tid=7f12; ll=12; msg=pkmanager.c: Rejected by front-end"
)

func TestScan(t *testing.T) {
	at := time.Unix(0x6b0e876a, 0)
	tests := []struct {
		name       string
		lines      []string
		kite       string
		now        time.Time
		want       bool
		reason     string
		duplicate  bool
		wantAt     time.Time
		wantRelay  string
		wantAdvice string
		pagekitec  bool
	}{
		{name: "pagekite.py rejected", lines: []string{pyPing, pyRejected, pyPing, pyRequest}, kite: "bad.kite.test", now: at.Add(time.Hour),
			want: true, reason: "signature", wantAt: at, wantRelay: "127.0.0.1:29555", wantAdvice: "secret"},
		{name: "name case does not matter", lines: []string{pyRejected}, kite: "BAD.kite.test", now: at, want: true, reason: "signature"},
		{name: "another kite is not rejected", lines: []string{pyRejected}, kite: "good.kite.test", now: at},
		{name: "connected later", lines: []string{pyRejected, pyOther, pyConnected}, kite: "bad.kite.test", now: at},
		{name: "rejected after connecting", lines: []string{pyConnected, pyRejected}, kite: "bad.kite.test", now: at, want: true, reason: "signature"},
		{name: "a request error is no connect", lines: []string{pyRejected, pyRequest}, kite: "bad.kite.test", now: at, want: true, reason: "signature"},
		{name: "duplicate within the hold", lines: []string{pyDuplicate}, kite: "bad.kite.test", now: at.Add(DuplicateHold - time.Second),
			want: true, reason: "duplicate", duplicate: true, wantAdvice: "older tunnel"},
		{name: "duplicate past the hold", lines: []string{pyDuplicate}, kite: "bad.kite.test", now: at.Add(DuplicateHold)},
		{name: "pagekitec rejected: every kite", lines: []string{cRejected}, kite: "any.kite.test", now: at.Add(time.Hour), pagekitec: true,
			want: true, reason: "rejected by front-end", wantAt: at},
		{name: "pagekitec connected later", lines: []string{cRejected, cConnected}, kite: "any.kite.test", now: at, pagekitec: true},
		{name: "pagekitec duplicate", lines: []string{cDuplicate}, kite: "any.kite.test", now: at.Add(time.Minute), pagekitec: true, want: true, reason: "duplicate", duplicate: true},
		{name: "pagekitec in the journal", lines: []string{jRejected}, kite: "any.kite.test", now: time.Unix(1796113082, 0), pagekitec: true,
			want: true, reason: "rejected by front-end", wantAt: time.Unix(1796113082, 123456000)},
		{name: "nothing", lines: []string{pyPing, pyRequest, "", "garbage ; = ;"}, kite: "bad.kite.test", now: at},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := Scan(tt.lines, tt.pagekitec).For(tt.kite, tt.now)
			if ok != tt.want {
				t.Fatalf("For(%s) = %+v, %v; want rejected %v", tt.kite, r, ok, tt.want)
			}
			if !ok {
				return
			}
			if r.Reason != tt.reason || r.Duplicate != tt.duplicate {
				t.Errorf("For(%s) = %+v, want reason %q, duplicate %v", tt.kite, r, tt.reason, tt.duplicate)
			}
			if !tt.wantAt.IsZero() && !r.At.Equal(tt.wantAt) {
				t.Errorf("For(%s).At = %v, want %v", tt.kite, r.At, tt.wantAt)
			}
			if tt.wantRelay != "" && r.Relay != tt.wantRelay {
				t.Errorf("For(%s).Relay = %q, want %q", tt.kite, r.Relay, tt.wantRelay)
			}
			if tt.wantAdvice != "" && !strings.Contains(r.Advice(), tt.wantAdvice) {
				t.Errorf("Advice() = %q, want it to mention %q", r.Advice(), tt.wantAdvice)
			}
		})
	}
}

// TestScanRemoteValuesAreNoRejection: values a remote client puts into a
// log line never read as a rejection (#23). pagekite.py 1.5.2 logs the
// raw Authorization value of a refused request as forbidden-user=[...],
// and turns "; " inside a value into ", " (LogValues); a line shaped
// like a rejection after a prefix with "=" in it, or with words added,
// is not one either.
func TestScanRemoteValuesAreNoRejection(t *testing.T) {
	at := time.Unix(0x6b0e876a, 0)
	lines := []string{
		// The refused request, as 1.5.2 logs it for each of the attacks.
		"ts=6b0e876b; t=2026-12-01T08:38:03; ll=7; GET=/; proto=http; domain=good.kite.test; is=BE; remote_ip=127.0.0.1; forbidden-user=['Rejected by front-end']; err=No back-end; id=s3",
		"ts=6b0e876b; t=2026-12-01T08:38:03; ll=8; GET=/; proto=http; domain=good.kite.test; is=BE; remote_ip=127.0.0.1; forbidden-user=['Rejected as a duplicate by front-end']; id=s4",
		"ts=6b0e876b; t=2026-12-01T08:38:03; ll=9; GET=/; forbidden-user=['x, err=Rejected, domain=good.kite.test']; id=s5",
		"ts=6b0e876b; t=2026-12-01T08:38:03; ll=a; forbidden-user=x; FE=127.0.0.1:1; err=Rejected; proto=http; reason=signature; domain=good.kite.test; id=s6",
		"1796113082.1 host pagekite[1]: ! 127.0.0.1 - http://ts=6b; t=x; ll=1; FE=a; err=Rejected; proto=http; reason=x; domain=good.kite.test; id=s1",
		"GET=x; ts=6b0e876a; t=2026-12-01T08:38:02; ll=3; FE=127.0.0.1:29555; err=Rejected; proto=http; reason=signature; domain=good.kite.test",
		pyRejected + "; extra=word",
		"ts=6b0e876a; t=2026-12-01T08:38:02; ll=3; FE=127.0.0.1:29555; err=Rejected; proto=http; reason=signature; domain=good.kite.test ('x'); id=s1",
	}
	for _, pagekitec := range []bool{false, true} {
		if r, ok := Scan(lines, pagekitec).For("good.kite.test", at); ok {
			t.Errorf("Scan(pagekitec=%v) = %+v: a remote value read as a rejection", pagekitec, r)
		}
	}
	// pagekitec: only its own message, whole, after pk_log's own words.
	cLines := []string{
		"t=2026-12-01 08:38:02.123; ts=6b0e876a; tid=7f12; ll=12; msg=relay said: Rejected by front-end",
		"t=2026-12-01 08:38:02.123; ts=6b0e876a; tid=7f12; ll=12; msg=x: tid=1; ll=1; msg=pkmanager.c: Rejected by front-end",
		"Mon Dec  1 08:38:02 2026 daemon.err pagekitec[812]: tid=7f12; ll=12; msg=pkmanager.c: Rejected by front-end (forged)",
		"forbidden-user=['tid=1; ll=1; msg=pkmanager.c: Rejected by front-end']",
		pyRejected, // pagekite.py's shape is not pagekitec's
	}
	if r, ok := Scan(cLines, true).For("good.kite.test", at); ok {
		t.Errorf("Scan(pagekitec) = %+v: a forged line read as a rejection", r)
	}
	// Neither kind reads the other's rejections.
	if _, ok := Scan([]string{cRejected}, false).For("any.kite.test", at); ok {
		t.Error("pagekite.py's scan took pagekitec's line")
	}
}

// TestSeenAfter: a rejection whose line has left the tail that is read
// stands until a read shows the kite connected.
func TestSeenAfter(t *testing.T) {
	at := time.Unix(0x6b0e876a, 0)
	first := Scan([]string{pyRejected}, false)
	later := Scan([]string{pyPing, pyRequest}, false).after(first)
	if _, ok := later.For("bad.kite.test", at); !ok {
		t.Error("a rejection that left the tail no longer stands")
	}
	cured := Scan([]string{pyPing, pyConnected}, false).after(later)
	if r, ok := cured.For("bad.kite.test", at); ok {
		t.Errorf("after a connect: %+v still stands", r)
	}
	c := Scan([]string{cRejected}, true)
	if _, ok := Scan(nil, true).after(c).For("x.kite.test", at); !ok {
		t.Error("pagekitec's rejection did not stand past its tail")
	}
	if _, ok := Scan([]string{cConnected}, true).after(c).For("x.kite.test", at); ok {
		t.Error("pagekitec's connect did not clear its rejection")
	}
}
