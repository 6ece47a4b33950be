package sdnotify

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/sys/unix"
)

func TestNotifier(t *testing.T) {
	tests := []struct {
		name string
		call func(*Notifier)
		want string // a regexp matching the whole datagram
	}{
		{"ready", (*Notifier).Ready, `READY=1`},
		{"stopping", (*Notifier).Stopping, `STOPPING=1`},
		{"reloading", (*Notifier).Reloading, `RELOADING=1\nMONOTONIC_USEC=[0-9]+`},
		{"status", func(n *Notifier) { n.Status("2 kites: 1 flying, 1 down") }, `STATUS=2 kites: 1 flying, 1 down`},
		{"status with line breaks", func(n *Notifier) { n.Status("ok\nREADY=1\r\nx") }, `STATUS=ok READY=1  x`},
		{"watchdog", func(n *Notifier) { n.watchdog() }, `WATCHDOG=1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := listen(t)
			tt.call(NewNotifier(zap.NewNop()))
			got := received(t, conn)
			if len(got) != 1 || !regexp.MustCompile(`\A`+tt.want+`\z`).MatchString(got[0]) {
				t.Errorf("sent %q, want one datagram matching %q", got, tt.want)
			}
		})
	}
}

// TestReloadingMonotonic checks that MONOTONIC_USEC is CLOCK_MONOTONIC now,
// as systemd compares it with its own clock.
func TestReloadingMonotonic(t *testing.T) {
	conn := listen(t)
	var before, after unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &before); err != nil {
		t.Fatal(err)
	}
	NewNotifier(nil).Reloading()
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &after); err != nil {
		t.Fatal(err)
	}
	got := received(t, conn)
	if len(got) != 1 {
		t.Fatalf("sent %q, want one datagram", got)
	}
	_, v, _ := strings.Cut(got[0], "MONOTONIC_USEC=")
	usec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("Reloading() sent %q: %v", got[0], err)
	}
	if lo, hi := before.Nano()/1000, after.Nano()/1000; usec < lo || usec > hi {
		t.Errorf("MONOTONIC_USEC = %d, want between %d and %d", usec, lo, hi)
	}
}

func TestNotifierWithoutSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	core, logs := observer.New(zap.DebugLevel)
	n := NewNotifier(zap.New(core))
	n.Ready()
	n.Status("x")
	if n.watchdog() {
		t.Error("watchdog() = true without NOTIFY_SOCKET, want false")
	}
	if logs.Len() != 0 {
		t.Errorf("logged %d entries without NOTIFY_SOCKET, want none", logs.Len())
	}
}

func TestNotifierSendFailure(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", t.TempDir()+"/nobody-listens")
	core, logs := observer.New(zap.DebugLevel)
	n := NewNotifier(zap.New(core))
	if n.watchdog() {
		t.Error("watchdog() = true with nobody listening, want false")
	}
	if got := logs.FilterMessage("sd_notify failed").Len(); got != 1 {
		t.Errorf("logged %d send failures, want 1", got)
	}
}

func TestNotifierKeepsEnvironment(t *testing.T) {
	conn := listen(t)
	n := NewNotifier(nil)
	n.Ready()
	n.Ready()
	if got := received(t, conn); !slices.Equal(got, []string{"READY=1", "READY=1"}) {
		t.Errorf("two Ready() calls sent %q, want two READY=1 (NOTIFY_SOCKET must stay set)", got)
	}
}
