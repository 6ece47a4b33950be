package pklog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/probe"
)

// TestSourceFile: the rejection is read from the end of a large log, the
// read is cached until the file changes, and a later connect clears it.
func TestSourceFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pagekite.log")
	filler := strings.Repeat(pyPing+"\n", (2*MaxTail)/len(pyPing)) // more than MaxTail
	if err := os.WriteFile(path, []byte(pyConnected+"\n"+filler+pyRejected+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := &Source{LogFile: path}
	now := time.Unix(0x6b0e876a, 0)
	r, ok, err := src.Rejection(context.Background(), "bad.kite.test", now)
	if err != nil || !ok || r.Reason != "signature" {
		t.Fatalf("Rejection() = %+v, %v, %v; want signature", r, ok, err)
	}
	// The connect line is beyond MaxTail from the end: not read.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(pyConnected + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, ok, err := src.Rejection(context.Background(), "bad.kite.test", now); ok || err != nil {
		t.Errorf("after a connect line: rejected %v, err %v; want neither", ok, err)
	}
}

// TestSourceNotRegular: a FIFO or a directory in the log's place is an
// error at once, never a hang; a missing log is an error; no log is none.
func TestSourceNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, dir, filepath.Join(dir, "missing")} {
		done := make(chan error, 1)
		go func() {
			_, _, err := (&Source{LogFile: path}).Rejection(context.Background(), "a.kite.test", time.Now())
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("Rejection(%s) error = nil, want one", path)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Rejection(%s) hangs", path)
		}
	}
	if _, ok, err := (&Source{}).Rejection(context.Background(), "a.kite.test", time.Now()); ok || err != nil {
		t.Errorf("Rejection(no log) = %v, %v; want none", ok, err)
	}
}

// TestSourceJournal reads the journal through a journalctl stand-in (a
// shell script printing short-unix lines: the real journal is tested in
// the systemd end-to-end test), caching one read for journalTTL.
func TestSourceJournal(t *testing.T) {
	dir := t.TempDir()
	count := filepath.Join(dir, "count")
	script := "#!/bin/sh\necho x >> " + count + "\necho '" + jRejected + "'\n"
	bin := filepath.Join(dir, "journalctl")
	if err := os.WriteFile(bin, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	src := &Source{JournalUnit: "pagekitec.service", Journalctl: bin, Pagekitec: true}
	now := time.Unix(1796113082, 0)
	for i := 0; i < 3; i++ {
		r, ok, err := src.Rejection(context.Background(), "a.kite.test", now.Add(time.Duration(i)*time.Second))
		if err != nil || !ok || r.Kite != "a.kite.test" {
			t.Fatalf("Rejection() = %+v, %v, %v; want rejected", r, ok, err)
		}
	}
	if b, _ := os.ReadFile(count); strings.Count(string(b), "x") != 1 {
		t.Errorf("journalctl ran %d times for 3 reads within %v, want 1", strings.Count(string(b), "x"), journalTTL)
	}
	if src.Name() != "journal:pagekitec.service" {
		t.Errorf("Name() = %q", src.Name())
	}
}

// TestExplain: only a kite-down is looked up, and becomes rejected.
func TestExplain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pagekite.log")
	if err := os.WriteFile(path, []byte(pyRejected+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := &Source{LogFile: path}
	now := time.Unix(0x6b0e876a, 0)
	down := probe.Result{Kite: "bad.kite.test", Verdict: probe.KiteDown, Detail: "relay 127.0.0.1:1: X-PageKite-Status: Down-FE"}
	got, r, ok, err := Explain(context.Background(), src, down, now)
	if err != nil || !ok || got.Verdict != probe.Rejected || !strings.Contains(got.Detail, "reason=signature") || r.Reason != "signature" {
		t.Errorf("Explain(kite-down) = %+v, %v, %v", got, ok, err)
	}
	for _, v := range []probe.Verdict{probe.Flying, probe.Unreachable, probe.Stalled} {
		res := probe.Result{Kite: "bad.kite.test", Verdict: v}
		if got, _, ok, _ := Explain(context.Background(), src, res, now); ok || got.Verdict != v {
			t.Errorf("Explain(%s) = %s, %v; want unchanged", v, got.Verdict, ok)
		}
	}
}

// TestStatusFile reads pagekitec's -Y file in both formats (written here
// in the exact shape of libpagekite 0.91's STATUS_FORMAT_JSON and
// STATUS_FORMAT_TEXT: the real pagekitec is not installable here); a
// "rejected" status is a rejection of every kite; staleness is three
// update intervals.
func TestStatusFile(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "status.json")
	txt := filepath.Join(dir, "status.txt")
	write := func(p, status string, ts int64) {
		var body string
		if strings.HasSuffix(p, ".json") {
			body = fmt.Sprintf("{\n  \"pagekitec_version\": \"0.91.251215C\",\n  \"pagekitec_status\": \"%s\",\n  \"pagekitec_status_code\": 60,\n  \"pagekitec_pid\": 812,\n  \"pagekitec_update_min_interval\": 240,\n  \"pagekitec_update_ts\": %d\n}\n", status, ts)
		} else {
			body = fmt.Sprintf("pagekitec_version: 0.91.251215C\npagekitec_status: %s\npagekitec_status_code: 60\npagekitec_pid: 812\npagekitec_update_min_interval: 240\npagekitec_update_ts: %d\n", status, ts)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Unix(1_800_000_000, 0)
	for _, p := range []string{js, txt} {
		write(p, "rejected", now.Unix()-60)
		st, err := ReadStatus(p)
		if err != nil || st.Status != "rejected" || st.Version != "0.91.251215C" || st.PID != 812 || st.MinInterval != 240*time.Second || st.Stale(now) {
			t.Errorf("ReadStatus(%s) = %+v, %v", p, st, err)
		}
		if !st.Stale(now.Add(13 * time.Minute)) {
			t.Errorf("%s: not stale 13 min later (3 × 240 s = 12 min)", p)
		}
		src := &Source{StatusFile: p}
		if r, ok, err := src.Rejection(context.Background(), "a.kite.test", now); !ok || err != nil || r.Kite != "a.kite.test" {
			t.Errorf("Rejection(%s rejected) = %+v, %v, %v", p, r, ok, err)
		}
		write(p, "flying", now.Unix())
		if _, ok, _ := src.Rejection(context.Background(), "a.kite.test", now); ok {
			t.Errorf("Rejection(%s flying) = rejected", p)
		}
	}
}

// TestSourceCommand reads the log from a command's output, as OpenWrt's
// logread (a stand-in script here: no OpenWrt) prints pagekitec's syslog
// lines.
func TestSourceCommand(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "logread")
	script := "#!/bin/sh\necho 'Mon Dec  1 08:38:02 2026 daemon.err pagekitec[812]: tid=7f12; ll=12; msg=pkmanager.c: Rejected by front-end'\n"
	if err := os.WriteFile(bin, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	src := &Source{Command: []string{bin, "-e", "pagekitec"}, LogFile: "/nonexistent", Pagekitec: true}
	r, ok, err := src.Rejection(context.Background(), "a.kite.test", time.Now())
	if err != nil || !ok || r.Reason != "rejected by front-end" {
		t.Errorf("Rejection(logread) = %+v, %v, %v; want rejected by front-end", r, ok, err)
	}
	if !strings.HasPrefix(src.Name(), "command:") {
		t.Errorf("Name() = %q", src.Name())
	}
}

// TestMissingLogLookedForAgainLater: a log file that is not there is not
// looked for at every kite-down, but again after journalTTL.
func TestMissingLogLookedForAgainLater(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pagekite.log")
	s := &Source{LogFile: path}
	now := time.Now()
	if _, err := s.scan(context.Background(), now); err == nil {
		t.Fatal("scan(missing log) = nil error")
	}
	if err := os.WriteFile(path, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.scan(context.Background(), now.Add(time.Second)); err == nil {
		t.Errorf("scan 1s later = nil error, want the cached miss")
	}
	if _, err := s.scan(context.Background(), now.Add(journalTTL+time.Second)); err != nil {
		t.Errorf("scan after journalTTL = %v, want the file read", err)
	}
}

// TestStatusHold: a "rejected" in pagekitec's status file holds while it
// retries, as libpagekite 0.91 does: about every 60 s the status reads
// "connecting" for a few seconds, then "rejected" again (#19). The file
// is written here in pagekitec's exact JSON shape: the real pagekitec is
// not installable here. Only "flying" (or a retry that went on for
// StatusHold without a rejection) ends the hold; the rejection names the
// status file as its source.
func TestStatusHold(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pagekitec.status")
	write := func(status string, at time.Time) {
		body := fmt.Sprintf("{\n  \"pagekitec_version\": \"0.91.251215C\",\n  \"pagekitec_status\": \"%s\",\n  \"pagekitec_status_code\": 60,\n  \"pagekitec_pid\": 812,\n  \"pagekitec_update_min_interval\": 240,\n  \"pagekitec_update_ts\": %d\n}\n", status, at.Unix())
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := &Source{StatusFile: path, LogFile: filepath.Join(t.TempDir(), "missing.log"), Pagekitec: true}
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	// Ten minutes of retries: rejected 57 s, connecting 3 s, read at
	// every 20 s (the connecting reads included).
	for i := 0; i < 30; i++ {
		at := now.Add(time.Duration(i) * 20 * time.Second)
		if i%3 == 2 {
			write("connecting", at)
		} else {
			write("rejected", at)
		}
		r, ok, _ := src.Rejection(ctx, "a.kite.test", at)
		if !ok {
			t.Fatalf("read %d (%s): the rejection did not hold", i, at.Sub(now))
		}
		if want := "pagekitec status file " + path; r.Source != want {
			t.Fatalf("Source = %q, want %q", r.Source, want)
		}
	}
	seen := now.Add(28 * 20 * time.Second) // the last read of "rejected"
	last := now.Add(29 * 20 * time.Second)
	if _, ok, _ := src.Rejection(ctx, "a.kite.test", seen.Add(StatusHold-time.Second)); !ok {
		t.Error("the hold ended before StatusHold")
	}
	if _, ok, _ := src.Rejection(ctx, "a.kite.test", seen.Add(StatusHold)); ok {
		t.Error("a connect not followed by a rejection for StatusHold still holds")
	}
	write("rejected", last)
	if _, ok, _ := src.Rejection(ctx, "a.kite.test", last); !ok {
		t.Fatal("rejected again: no rejection")
	}
	write("flying", last)
	if r, ok, _ := src.Rejection(ctx, "a.kite.test", last.Add(time.Second)); ok {
		t.Errorf("flying: %+v still holds", r)
	}
}
