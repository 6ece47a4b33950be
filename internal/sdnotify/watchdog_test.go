package sdnotify

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestRunWatchdogWedge runs the pinger in a synctest bubble (fake time) and
// counts what reaches a real notify socket: pings every half period while
// the loops are alive, none while one is wedged, pings again once it
// recovers; one log entry per episode.
func TestRunWatchdogWedge(t *testing.T) {
	sock := collect(t, listen(t))
	t.Setenv("WATCHDOG_USEC", "10000000") // 10 s: a ping every 5 s
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	core, logs := observer.New(zap.InfoLevel)

	var pings atomic.Int64
	var counts []int64
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		m := NewMonitor(20 * time.Second)
		loop := m.Register("kite foo")
		loop.Idle(time.Now(), time.Now().Add(time.Hour))
		done := make(chan struct{})
		go func() {
			defer close(done)
			RunWatchdog(ctx, zap.New(core), NewNotifier(nil), m, func() { pings.Add(1) }, time.Now)
		}()
		mark := func() {
			synctest.Wait()
			counts = append(counts, pings.Load())
		}

		time.Sleep(30*time.Second + time.Millisecond) // pings at 0, 5, ..., 30 s
		mark()
		loop.Busy(time.Now()) // wedged from now: stale after 20 s
		time.Sleep(60 * time.Second)
		mark()
		loop.Idle(time.Now(), time.Now().Add(time.Hour)) // recovered
		time.Sleep(10 * time.Second)
		mark()
		cancel()
		<-done
	})

	// 7 pings in the first 30 s; while busy, pings at +5..+20 s (4), then
	// none; after recovery, pings at +5 and +10 s.
	want := []int64{7, 11, 13}
	if len(counts) != len(want) || counts[0] != want[0] || counts[1] != want[1] || counts[2] != want[2] {
		t.Errorf("pings after each phase = %v, want %v", counts, want)
	}
	got := sock.wait(int(pings.Load()))
	if int64(len(got)) != pings.Load() {
		t.Errorf("socket received %d datagrams, onPing counted %d", len(got), pings.Load())
	}
	for _, d := range got {
		if d != "WATCHDOG=1" {
			t.Errorf("sent %q, want WATCHDOG=1", d)
		}
	}
	stale := logs.FilterMessage("loops stale, withholding watchdog pings").All()
	if len(stale) != 1 {
		t.Fatalf("logged the stale episode %d times, want once", len(stale))
	}
	if loops, _ := stale[0].ContextMap()["loops"].([]any); len(loops) != 1 || loops[0] != "kite foo" {
		t.Errorf("stale log names loops %v, want [kite foo]", stale[0].ContextMap()["loops"])
	}
	if n := logs.FilterMessage("all loops alive again, resuming watchdog pings").Len(); n != 1 {
		t.Errorf("logged the recovery %d times, want once", n)
	}
}

// TestRunWatchdogDisabled: without a watchdog for this process, RunWatchdog
// returns at once and sends nothing.
func TestRunWatchdogDisabled(t *testing.T) {
	tests := []struct {
		name, usec, pid string
	}{
		{"no WATCHDOG_USEC", "", ""},
		{"another process's watchdog", "10000000", strconv.Itoa(os.Getpid() + 1)},
		{"malformed", "ten seconds", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := listen(t)
			t.Setenv("WATCHDOG_USEC", tt.usec)
			t.Setenv("WATCHDOG_PID", tt.pid)
			synctest.Test(t, func(t *testing.T) {
				done := make(chan struct{})
				go func() {
					defer close(done)
					RunWatchdog(t.Context(), zap.NewNop(), NewNotifier(nil), NewMonitor(0), nil, time.Now)
				}()
				synctest.Wait()
				select {
				case <-done:
				default:
					t.Error("RunWatchdog did not return without a watchdog")
				}
			})
			if got := received(t, conn); len(got) != 0 {
				t.Errorf("sent %q, want nothing", got)
			}
		})
	}
}
