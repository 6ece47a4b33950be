package report

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/redact"
)

var t0 = time.Date(2026, 11, 23, 23, 40, 0, 0, time.UTC)

// TestLogWindow checks which lines of a rotated log make it into a bundle.
func TestLogWindow(t *testing.T) {
	// Three generations: .2.gz (oldest, 3h to 2h ago), .1 (2h to 1h ago),
	// the current file (the last hour), one line every 10 minutes.
	gen := func(from time.Time, tag string) []string {
		var l []string
		for i := 0; i < 6; i++ {
			l = append(l, pkLine(from.Add(time.Duration(i)*10*time.Minute), tag+"="+string(rune('a'+i))))
		}
		return l
	}
	tests := []struct {
		name       string
		lastFlying time.Time
		logLines   int
		minLines   int
		wantFirst  string // first line's tag
		wantN      int
	}{
		{"window inside current file", t0.Add(-30 * time.Minute), 100, 0, "cur=c", 4},
		{"window reaches into .1", t0.Add(-75 * time.Minute), 100, 0, "old1=e", 8},
		{"window reaches into .2.gz", t0.Add(-150 * time.Minute), 100, 0, "old2=c", 16},
		{"cap wins over the window", t0.Add(-150 * time.Minute), 4, 0, "cur=c", 4},
		{"no last flying: last log_lines lines across files", time.Time{}, 8, 0, "old1=e", 8},
		{"quiet window: minimum context", t0.Add(-5 * time.Minute), 100, 3, "cur=d", 3},
		{"empty window: minimum context", t0.Add(time.Hour), 100, 2, "cur=e", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "pagekite.log")
			writeLog(t, log+".2.gz", gen(t0.Add(-3*time.Hour), "old2"))
			writeLog(t, log+".1", gen(t0.Add(-2*time.Hour), "old1"))
			writeLog(t, log, gen(t0.Add(-1*time.Hour), "cur"))
			h, err := fileLog(context.Background(), log, tt.logLines, tt.minLines, tt.lastFlying)
			if err != nil {
				t.Fatalf("fileLog() error = %v", err)
			}
			if len(h.lines) != tt.wantN {
				t.Errorf("fileLog() = %d lines, want %d:\n%s", len(h.lines), tt.wantN, strings.Join(h.lines, "\n"))
			}
			if len(h.lines) > 0 && !strings.HasSuffix(h.lines[0], tt.wantFirst) {
				t.Errorf("fileLog() first line = %q, want ...%s", h.lines[0], tt.wantFirst)
			}
			if last := h.lines[len(h.lines)-1]; !strings.HasSuffix(last, "cur=f") {
				t.Errorf("fileLog() last line = %q, want ...cur=f", last)
			}
		})
	}
}

func TestLogWithoutTimes(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "pagekite.log")
	var lines []string
	for i := 0; i < 50; i++ {
		lines = append(lines, "Traceback line "+string(rune('A'+i)))
	}
	writeLog(t, log, lines)
	h, err := fileLog(context.Background(), log, 10, 0, t0)
	if err != nil {
		t.Fatalf("fileLog() error = %v", err)
	}
	if got, want := strings.Join(h.lines, "|"), strings.Join(lines[40:], "|"); got != want {
		t.Errorf("fileLog() = %q, want the last 10 lines %q", got, want)
	}
}

func TestLogLongLinesCut(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "pagekite.log")
	writeLog(t, log, []string{strings.Repeat("x", 200<<10), "short"})
	h, err := fileLog(context.Background(), log, 10, 0, time.Time{})
	if err != nil {
		t.Fatalf("fileLog() error = %v", err)
	}
	if len(h.lines) != 2 || len(h.lines[0]) != maxLineBytes || h.lines[1] != "short" {
		t.Errorf("fileLog() = %d lines of %d bytes, want 2 lines, the first cut to %d", len(h.lines), len(h.lines[0]), maxLineBytes)
	}
}

func TestLogMissing(t *testing.T) {
	if _, err := fileLog(context.Background(), filepath.Join(t.TempDir(), "nope.log"), 10, 0, time.Time{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("fileLog(missing) error = %v, want ErrNotExist", err)
	}
}

// TestBundleLeaksNothing plants secrets everywhere a bundle takes data
// from and checks that none survives in any file of the bundle, its tar
// headers included.
func TestBundleLeaksNothing(t *testing.T) {
	const (
		callerSecret = "CallerSecret-77"
		argvSecret   = "ArgvOnlySecret-42"
		cfgPass      = "ServiceCfgPw-9"
	)
	dir := t.TempDir()
	log := filepath.Join(dir, "pagekite.log")
	// The started= line lies outside the window; its argv secret must be
	// scrubbed all the same, in report.json too.
	writeLog(t, log+".1", []string{
		pkLine(t0.Add(-5*time.Hour), "started=/usr/bin/pagekite; version=1.5.2.201011; platform=linux; argv=--clean --service_on=http:foo.kite.test:127.0.0.1:80:"+argvSecret+" --service_cfg=foo.kite.test/80:password/alice:"+cfgPass+" --logfile="+log),
	})
	// Enough lines in the window that the minimum context does not reach
	// back to the started= line.
	var filler []string
	for i := 0; i < minContextLines+20; i++ {
		filler = append(filler, pkLine(t0.Add(-3*time.Minute), "FE=127.0.0.1:29081; proto=http; id=s9"))
	}
	writeLog(t, log, append([]string{
		pkLine(t0.Add(-20*time.Minute), "FE=127.0.0.1:29081; proto=http; domain=foo.kite.test; ssl=False; id=s1"),
		pkLine(t0.Add(-10*time.Minute), "GET=/private?token=abc123; proto=http; domain=foo.kite.test; is=BE; remote_ip=203.0.113.9; forbidden-user=['Basic YWxpY2U6d29uZGVybGFuZA==']; err=No back-end; id=s2"),
		pkLine(t0.Add(-5*time.Minute), "note="+callerSecret+"; echo="+argvSecret),
		pkLine(t0.Add(-1*time.Minute), "FE=127.0.0.1:29081; err=Rejected; proto=http; reason=signature; domain=bad.kite.test; id=s1"),
	}, filler...))
	core := filepath.Join(dir, "core.1234")
	if err := os.WriteFile(core, []byte("core bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	red := redact.New(redact.Options{Secrets: []string{callerSecret, cfgPass}, RedactIPs: true})
	b := newTestBuilder(t, Options{LogFile: log, LogLines: 1000}, red)
	in := Input{
		Kite: "foo.kite.test", Reason: "relay said not connected; " + callerSecret,
		At: t0, LastFlying: t0.Add(-15 * time.Minute),
		History:  []map[string]any{{"from": "flying", "to": "suspect", "detail": "GET=/x?" + argvSecret}},
		Probes:   []map[string]any{{"verdict": "kite-down", "detail": "from 203.0.113.9 with " + callerSecret, callerSecret: 1}},
		Restart:  map[string]any{"outcome": "restarted", "secret": "whatever", "argv": "--kitesecret=" + argvSecret},
		CorePath: core, CoreSize: 10,
	}
	bundle, err := b.Build(context.Background(), in)
	if err != nil {
		t.Fatalf("Build() error = %v", err)
	}
	members, raw := readBundle(t, bundle.Path)
	if len(members) != 2 || members[JSONMember] == nil || members[LogMember] == nil {
		t.Fatalf("Build() members = %v, want %s and %s", keys(members), JSONMember, LogMember)
	}
	planted := []string{callerSecret, argvSecret, cfgPass, "abc123", "203.0.113.9", "127.0.0.1", "YWxpY2U6d29uZGVybGFuZA==", "whatever"}
	for _, s := range planted {
		for name, data := range members {
			if strings.Contains(string(data), s) {
				t.Errorf("bundle member %s holds %q:\n%s", name, s, data)
			}
		}
		if strings.Contains(string(raw), s) || strings.Contains(bundle.Path, s) {
			t.Errorf("bundle tar %s holds %q", bundle.Path, s)
		}
	}
	logText := string(members[LogMember])
	for _, want := range []string{"GET=/private?[REDACTED]", "reason=signature", "note=[REDACTED]"} {
		if !strings.Contains(logText, want) {
			t.Errorf("bundle log lacks %q:\n%s", want, logText)
		}
	}
	var rep map[string]any
	if err := json.Unmarshal(members[JSONMember], &rep); err != nil {
		t.Fatalf("report.json: %v\n%s", err, members[JSONMember])
	}
	pk, _ := rep["pagekite"].(map[string]any)
	if pk["version"] != "1.5.2.201011" || pk["source"] != "log" {
		t.Errorf("report.json pagekite = %v, want version 1.5.2.201011 from the log", pk)
	}
	c, _ := rep["core"].(map[string]any)
	if c["included"] != false || c["path"] != core || c["size"] != 10.0 {
		t.Errorf("report.json core = %v, want not included, path %s, size 10", c, core)
	}
	if l, _ := rep["log"].(map[string]any); l["lines"] != float64(4+len(filler)) {
		t.Errorf("report.json log = %v, want %d lines", l, 4+len(filler))
	}
	for _, k := range []string{"pkwatchdogd_version", "system", "history", "probes", "restart", "last_flying"} {
		if rep[k] == nil {
			t.Errorf("report.json lacks %q:\n%s", k, members[JSONMember])
		}
	}
	if sys, _ := rep["system"].(map[string]any); sys["os"] == "unknown" || sys["kernel"] == "unknown" {
		t.Errorf("report.json system = %v, want OS and kernel", sys)
	}
	st, err := os.Stat(bundle.Path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || st.Size() != bundle.Size {
		t.Errorf("bundle mode %o size %d, want 600 and %d", st.Mode().Perm(), st.Size(), bundle.Size)
	}
	if st, err := os.Stat(b.Dir()); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("reports dir = %v, %v, want mode 700", st.Mode(), err)
	}
}

func keys(m map[string][]byte) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

func TestBuildIncludesCoreWhenAsked(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "pagekite.log")
	writeLog(t, log, []string{pkLine(t0, "x=1")})
	core := filepath.Join(dir, "core")
	content := []byte(strings.Repeat("core dump ", 1000))
	if err := os.WriteFile(core, content, 0o600); err != nil {
		t.Fatal(err)
	}
	b := newTestBuilder(t, Options{LogFile: log, IncludeCore: true}, nil)
	bundle, err := b.Build(context.Background(), Input{Kite: "k", At: t0, CorePath: core, CoreSize: int64(len(content))})
	if err != nil {
		t.Fatalf("Build() error = %v", err)
	}
	members, _ := readBundle(t, bundle.Path)
	if string(members[CoreMember]) != string(content) {
		t.Errorf("Build() core.gz = %d bytes, want the core's %d", len(members[CoreMember]), len(content))
	}
	if len(bundle.Members) != 3 || bundle.Members[2].Name != CoreMember {
		t.Errorf("Build() members = %v, want report.json, log, core.gz", bundle.Members)
	}
	// Nothing but bundles is left in the directory.
	entries, _ := os.ReadDir(b.Dir())
	if len(entries) != 1 {
		t.Errorf("reports dir holds %d entries, want 1 bundle", len(entries))
	}
}

func TestBuildWithoutLog(t *testing.T) {
	b := newTestBuilder(t, Options{LogFile: filepath.Join(t.TempDir(), "missing.log")}, nil)
	bundle, err := b.Build(context.Background(), Input{Kite: "k", At: t0})
	if err != nil {
		t.Fatalf("Build() error = %v", err)
	}
	members, _ := readBundle(t, bundle.Path)
	if !strings.Contains(string(members[JSONMember]), "does not exist") {
		t.Errorf("report.json = %s, want the log error", members[JSONMember])
	}
}

func TestRetention(t *testing.T) {
	tests := []struct {
		name     string
		keep     int
		maxBytes int64
		builds   int
		wantN    int
	}{
		{"keep", 3, 0, 5, 3},
		{"max bytes", 10, 0, 5, 2}, // maxBytes set below to fit two bundles
		{"default keep", 0, 0, 7, DefaultKeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "pagekite.log")
			writeLog(t, log, []string{pkLine(t0, "x=1")})
			probe := newTestBuilder(t, Options{LogFile: log}, nil)
			one, err := probe.Build(context.Background(), Input{Kite: "k", At: t0})
			if err != nil {
				t.Fatal(err)
			}
			max := tt.maxBytes
			if tt.name == "max bytes" {
				max = 2*one.Size + one.Size/2
			}
			b := newTestBuilder(t, Options{LogFile: log, Keep: tt.keep, MaxBytes: max}, nil)
			var paths []string
			for i := 0; i < tt.builds; i++ {
				bu, err := b.Build(context.Background(), Input{Kite: "k", At: t0.Add(time.Duration(i) * time.Minute)})
				if err != nil {
					t.Fatalf("Build() #%d error = %v", i, err)
				}
				paths = append(paths, bu.Path)
			}
			got, err := Bundles(b.Dir())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.wantN {
				t.Fatalf("Bundles() = %d, want %d", len(got), tt.wantN)
			}
			for i, bu := range got {
				if want := paths[len(paths)-1-i]; bu.Path != want {
					t.Errorf("Bundles()[%d] = %s, want %s (the newest)", i, bu.Path, want)
				}
			}
		})
	}
}

func TestBuildTooLarge(t *testing.T) {
	log := filepath.Join(t.TempDir(), "pagekite.log")
	writeLog(t, log, []string{pkLine(t0, "x=1")})
	b := newTestBuilder(t, Options{LogFile: log, MaxBytes: 100}, nil)
	if _, err := b.Build(context.Background(), Input{Kite: "k", At: t0}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Build() with max_bytes 100 error = %v, want ErrTooLarge", err)
	}
	if got, _ := Bundles(b.Dir()); len(got) != 0 {
		t.Errorf("Bundles() = %v, want none", got)
	}
}

func TestSameTimeTwice(t *testing.T) {
	log := filepath.Join(t.TempDir(), "pagekite.log")
	writeLog(t, log, []string{pkLine(t0, "x=1")})
	b := newTestBuilder(t, Options{LogFile: log}, nil)
	a, err1 := b.Build(context.Background(), Input{Kite: "k/../x", At: t0})
	c, err2 := b.Build(context.Background(), Input{Kite: "k/../x", At: t0})
	if err1 != nil || err2 != nil || a.Path == c.Path || filepath.Dir(a.Path) != b.Dir() {
		t.Errorf("Build() twice = %s, %v and %s, %v, want two paths in %s", a.Path, err1, c.Path, err2, b.Dir())
	}
}

func TestBuildCoreTooLarge(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "pagekite.log")
	writeLog(t, log, []string{pkLine(t0, "x=1")})
	core := filepath.Join(dir, "core")
	big := make([]byte, 256<<10)
	rand.Read(big) // incompressible
	if err := os.WriteFile(core, big, 0o600); err != nil {
		t.Fatal(err)
	}
	b := newTestBuilder(t, Options{LogFile: log, IncludeCore: true, MaxBytes: 128 << 10}, nil)
	bundle, err := b.Build(context.Background(), Input{Kite: "k", At: t0, CorePath: core, CoreSize: int64(len(big))})
	if err != nil {
		t.Fatalf("Build() error = %v", err)
	}
	members, _ := readBundle(t, bundle.Path)
	if members[CoreMember] != nil || !strings.Contains(string(members[JSONMember]), "larger than report.max_bytes") {
		t.Errorf("Build() with an oversized core = %v, want no core.gz and a note:\n%s", bundle.Members, members[JSONMember])
	}
	if entries, _ := os.ReadDir(b.Dir()); len(entries) != 1 {
		t.Errorf("reports dir holds %d entries, want the bundle alone", len(entries))
	}
}

// TestBuildCountsDumpLines: report.json records the diagnostics signals
// sent and how many dump lines they left in the harvested log (pagekitec's
// pk_dump_state lines, in libpagekite 0.91's format), or says that none
// appeared.
func TestBuildCountsDumpLines(t *testing.T) {
	for _, tt := range []struct {
		name  string
		lines []string
		want  int
	}{
		{"pagekitec dumped", []string{
			"t=2026-12-01 08:38:02.123; ts=6b0e876a; tid=7f12; ll=12; msg=pk_global_state/app_id_short: pagekitec",
			"t=2026-12-01 08:38:02.123; ts=6b0e876a; tid=7f12; ll=13; msg=pk_manager/status: 20",
			"t=2026-12-01 08:38:02.123; ts=6b0e876a; tid=7f12; ll=14; msg=fe_0/fe_hostname: relay.example.net",
			"t=2026-12-01 08:38:02.123; ts=6b0e876a; tid=7f12; ll=15; msg=beconn_3/status: 00000001",
			"t=2026-12-01 08:38:03.000; ts=6b0e876b; tid=7f12; ll=16; msg=5: Connected!",
		}, 4},
		{"nothing dumped", []string{"t=2026-12-01 08:38:03.000; ts=6b0e876b; tid=7f12; ll=16; msg=5: Connected!"}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "pagekitec.log")
			writeLog(t, log, tt.lines)
			b := newTestBuilder(t, Options{LogFile: log}, nil)
			bundle, err := b.Build(context.Background(), Input{Kite: "k", At: t0,
				Diagnostics: []string{"SIGUSR1", "SIGUSR2"}, DiagnosticsAt: t0})
			if err != nil {
				t.Fatalf("Build() error = %v", err)
			}
			members, _ := readBundle(t, bundle.Path)
			var rep struct {
				Diagnostics struct {
					Sent      []string
					DumpLines int `json:"dump_lines"`
					Note      string
				}
			}
			if err := json.Unmarshal(members[JSONMember], &rep); err != nil {
				t.Fatal(err)
			}
			d := rep.Diagnostics
			if len(d.Sent) != 2 || d.DumpLines != tt.want || (tt.want == 0) != (d.Note != "") {
				t.Errorf("report.json diagnostics = %+v, want SIGUSR1, SIGUSR2 and %d dump lines", d, tt.want)
			}
		})
	}
}

// TestBuildPagekitecStatus: report.json carries pagekitec's status file,
// stale when it was not rewritten for three update intervals.
func TestBuildPagekitecStatus(t *testing.T) {
	dir := t.TempDir()
	status := filepath.Join(dir, "status.json")
	body := fmt.Sprintf(`{"pagekitec_version": "0.91.251215C", "pagekitec_status": "flying", "pagekitec_status_code": 40, "pagekitec_pid": 812, "pagekitec_update_min_interval": 240, "pagekitec_update_ts": %d}`, t0.Add(-time.Hour).Unix())
	if err := os.WriteFile(status, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	b := newTestBuilder(t, Options{LogFile: filepath.Join(dir, "missing.log")}, nil)
	bundle, err := b.Build(context.Background(), Input{Kite: "k", At: t0, Kind: "pagekitec", StatusFile: status})
	if err != nil {
		t.Fatalf("Build() error = %v", err)
	}
	members, _ := readBundle(t, bundle.Path)
	var rep struct {
		PageKite struct{ Kind, Version, Source string } `json:"pagekite"`
		Status   struct {
			Status string
			PID    int
			Stale  bool
		} `json:"pagekitec_status"`
	}
	if err := json.Unmarshal(members[JSONMember], &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Status.Status != "flying" || !rep.Status.Stale || rep.Status.PID != 812 {
		t.Errorf("report.json pagekitec_status = %+v, want flying, stale, pid 812", rep.Status)
	}
	if rep.PageKite.Kind != "pagekitec" || rep.PageKite.Version != "0.91.251215C" {
		t.Errorf("report.json pagekite = %+v, want pagekitec 0.91.251215C", rep.PageKite)
	}

	// A snapshot taken before the kill wins over the file as the
	// respawned pagekitec rewrote it.
	snap := SnapshotStatus(status, t0)
	respawned := strings.ReplaceAll(strings.ReplaceAll(body, `"flying"`, `"connecting"`), "812", "813")
	if err := os.WriteFile(status, []byte(respawned), 0o600); err != nil {
		t.Fatal(err)
	}
	bundle, err = b.Build(context.Background(), Input{Kite: "k", At: t0.Add(time.Minute), Kind: "pagekitec", StatusFile: status, Status: snap})
	if err != nil {
		t.Fatal(err)
	}
	members, _ = readBundle(t, bundle.Path)
	if err := json.Unmarshal(members[JSONMember], &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Status.Status != "flying" || rep.Status.PID != 812 {
		t.Errorf("report.json pagekitec_status = %+v, want the snapshot (flying, pid 812)", rep.Status)
	}
}

// TestBuildLogCommand harvests the log from a command's output (OpenWrt's
// logread; a stand-in script here).
func TestBuildLogCommand(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "logread")
	script := "#!/bin/sh\nfor i in 1 2 3; do echo \"Mon Dec  1 08:38:0$i 2026 daemon.info pagekitec[812]: msg=line $i\"; done\n"
	if err := os.WriteFile(bin, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	b := newTestBuilder(t, Options{LogFile: filepath.Join(t.TempDir(), "missing.log")}, nil)
	bundle, err := b.Build(context.Background(), Input{Kite: "k", At: t0, LogCommand: []string{bin, "-e", "pagekitec"}})
	if err != nil {
		t.Fatalf("Build() error = %v", err)
	}
	members, _ := readBundle(t, bundle.Path)
	var rep struct {
		Log struct {
			Source string
			Lines  int
			Error  string
		}
	}
	if err := json.Unmarshal(members[JSONMember], &rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.Log.Source, "command:") || rep.Log.Lines != 3 || rep.Log.Error != "" {
		t.Errorf("report.json log = %+v, want 3 lines from the command", rep.Log)
	}
}
