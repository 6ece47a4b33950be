package watchdog

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/fsm"
	"github.com/pagekite/pkwatchdogd/internal/pagekite"
	"github.com/pagekite/pkwatchdogd/internal/pklog"
	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// writePagekitecStatus writes pagekitec's -Y status file (JSON) saying st,
// updated now.
func writePagekitecStatus(t *testing.T, path, st string) {
	t.Helper()
	body := fmt.Sprintf("{\n  \"pagekitec_version\": \"0.91.251215C\",\n  \"pagekitec_status\": \"%s\",\n  \"pagekitec_status_code\": 60,\n  \"pagekitec_pid\": 812,\n  \"pagekitec_update_min_interval\": 240,\n  \"pagekitec_update_ts\": %d\n}\n", st, time.Now().Unix())
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRejectedKiteNeverSitsInGrace (#31): a kite whose verdict turns
// rejected (pagekitec's status file says so) after kite-downs took it to
// grace leaves grace: the status file never shows it in grace past its
// deadline, shows it held and why, and no restart comes, for the 3
// minutes the issue watched. Variants: rejected once grace ran out while
// the relay was unreachable, and rejected from the first probe. When the
// refusal ends and the kite is still down, grace starts afresh and the
// restart comes.
func TestRejectedKiteNeverSitsInGrace(t *testing.T) {
	tests := []struct {
		name string
		// rejectAt: when the status file turns rejected; unreachable:
		// until when the relay is unreachable after the first kite-downs.
		rejectAt, unreachable time.Duration
	}{
		{name: "two kite-downs, then rejected", rejectAt: 25 * time.Second},
		{name: "rejected after grace ran out, the relay unreachable", rejectAt: 2 * time.Minute, unreachable: 2 * time.Minute},
		{name: "rejected from the first probe", rejectAt: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			statusFile := filepath.Join(t.TempDir(), "pagekitec.status")
			synctest.Test(t, func(t *testing.T) {
				origin := time.Now()
				writePagekitecStatus(t, statusFile, "flying")
				if tt.rejectAt == 0 {
					writePagekitecStatus(t, statusFile, "rejected")
				}
				p := newFakeProber(time.Second, func(_ string, now time.Time) probe.Verdict {
					if d := now.Sub(origin); d >= 25*time.Second && d < tt.unreachable {
						return probe.Unreachable
					}
					return probe.KiteDown
				})
				s := testSettings(t, "a.kite.test")
				s.Policy.FailureThreshold = 2
				pk(s).Log = &pklog.Source{StatusFile: statusFile}
				pk(s).Kind = pagekite.C
				h := start(t, s, p, 1, nil)
				defer h.stop()
				if tt.rejectAt > 0 {
					time.Sleep(tt.rejectAt)
					if st := h.status().Kites[0].State; st != string(fsm.Grace) {
						t.Errorf("state at %v = %s, want grace before the rejection", tt.rejectAt, st)
						return
					}
					writePagekitecStatus(t, statusFile, "rejected")
				}
				raised := h.restart.raiseCount()
				// 3 minutes rejected, the status file read every 10 s
				// after the first probe that sees the rejection.
				time.Sleep(20 * time.Second)
				for i := 0; i < 16; i++ {
					k := h.status().Kites[0]
					deadline, _ := time.Parse(time.RFC3339, k.Deadline)
					if k.State == string(fsm.Grace) && !time.Now().Before(deadline.Add(time.Second)) {
						t.Errorf("%v after the rejection: state grace, deadline %s (now %s), want never past it",
							time.Since(origin)-tt.rejectAt, k.Deadline, time.Now().UTC().Format(time.RFC3339))
						return
					}
					if k.Verdict != string(probe.Rejected) || k.State != string(fsm.Suspect) || k.Held != fsm.HeldRejected || k.Deadline != "" {
						t.Errorf("status at %v: state %s, held %q, verdict %s, deadline %q; want suspect, held %q, rejected, no deadline",
							time.Since(origin), k.State, k.Held, k.Verdict, k.Deadline, fsm.HeldRejected)
						return
					}
					time.Sleep(10 * time.Second)
				}
				if n := len(h.restart.restartTimes()); n != 0 {
					t.Errorf("restarts while rejected = %d, want 0", n)
					return
				}
				// No restart is coming: pagekitec is not asked to log more.
				if n := h.restart.raiseCount(); n != raised {
					t.Errorf("pagekitec asked to log more %d times while rejected, want 0", n-raised)
				}
				// The refusal ends, the kite is still down: grace afresh
				// (threshold 2, grace 30 s), then the restart.
				ended := time.Now()
				writePagekitecStatus(t, statusFile, "problems")
				time.Sleep(15 * time.Second)
				if k := h.status().Kites[0]; k.Held != "" || (k.State != string(fsm.Grace) && k.State != string(fsm.Suspect)) {
					t.Errorf("status once the rejection ended: state %s, held %q; want grace or suspect, not held", k.State, k.Held)
				}
				time.Sleep(time.Minute) // a second restart waits out a cooldown of 60 s
				rs := h.restart.restartTimes()
				if len(rs) != 1 || rs[0].Sub(ended) < s.Policy.GracePeriod {
					t.Errorf("restarts after the rejection ended at %v = %v, want one after a fresh grace of %v", ended, rs, s.Policy.GracePeriod)
				}
			})
		})
	}
}
