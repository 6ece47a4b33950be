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
		{name: "pagekitec rejected: every kite", lines: []string{cRejected}, kite: "any.kite.test", now: at.Add(time.Hour),
			want: true, reason: "rejected by front-end", wantAt: at},
		{name: "pagekitec connected later", lines: []string{cRejected, cConnected}, kite: "any.kite.test", now: at},
		{name: "pagekitec duplicate", lines: []string{cDuplicate}, kite: "any.kite.test", now: at.Add(time.Minute), want: true, reason: "duplicate", duplicate: true},
		{name: "pagekitec in the journal", lines: []string{jRejected}, kite: "any.kite.test", now: time.Unix(1796113082, 0),
			want: true, reason: "rejected by front-end", wantAt: time.Unix(1796113082, 123456000)},
		{name: "nothing", lines: []string{pyPing, pyRequest, "", "garbage ; = ;"}, kite: "bad.kite.test", now: at},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := Scan(tt.lines).For(tt.kite, tt.now)
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
