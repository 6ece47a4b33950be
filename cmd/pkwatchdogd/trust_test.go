package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

// TestValidateSaysWhatRunRefuses: for every state_dir and status_file
// directory that run refuses as untrusted (nobody's, nobody's symlink in
// a sticky directory in its place or among its parents, writable by
// others), validate fails too (exit 78) with the very lines run prints,
// and run writes nothing there (#30 items 6 and 7: validate said "valid"
// for a state_dir of uid 65534 that run refused; a status_file under
// nobody's symlink was written through). A trusted one is valid.
func TestValidateSaysWhatRunRefuses(t *testing.T) {
	pktest.RequireRoot(t)
	const nobody = pktest.Nobody
	base := t.TempDir()
	mkdir := func(p string, uid int, perm os.FileMode) string { return pktest.MkdirOwned(t, p, uid, perm) }
	sticky := mkdir(filepath.Join(base, "tmp"), 0, os.ModeSticky|0o777)
	theirs := mkdir(filepath.Join(base, "theirs"), nobody, 0o755)
	link := filepath.Join(sticky, "pkw")
	pktest.SymlinkOwned(t, theirs, link, nobody)
	good := mkdir(filepath.Join(base, "good"), 0, 0o700)
	open := mkdir(filepath.Join(base, "open"), 0, 0o777)
	nobodysState := mkdir(filepath.Join(base, "nobodys-state"), nobody, 0o700)

	tests := []struct {
		name, stateDir, statusFile string
		want                       string // in each problem line; "" for valid
	}{
		{"trusted", filepath.Join(good, "state"), filepath.Join(good, "run", "status.json"), ""},
		{"state_dir of uid 65534", nobodysState, filepath.Join(good, "status.json"), "state_dir: " + nobodysState + ": directory not trusted: owned by uid 65534"},
		{"state_dir under nobody's symlink", filepath.Join(link, "state"), filepath.Join(good, "status.json"), "state_dir: "},
		{"state_dir is nobody's symlink", link, filepath.Join(good, "status.json"), "it is a symlink"},
		{"state_dir under a dir writable by others", filepath.Join(open, "state"), filepath.Join(good, "status.json"), "writable by others without the sticky bit"},
		{"status_file under nobody's symlink", filepath.Join(good, "state"), filepath.Join(link, "run", "status.json"), "status_file: "},
		{"status_file in nobody's symlink", filepath.Join(good, "state"), filepath.Join(link, "status.json"), "status_file: " + link + ": directory not trusted: it is a symlink"},
		{"status_file in a dir writable by others", filepath.Join(good, "state"), filepath.Join(open, "status.json"), "status_file: " + open + ": directory not trusted: writable by group or others"},
		{"status_file in nobody's dir", filepath.Join(good, "state"), filepath.Join(theirs, "status.json"), "status_file: "},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(base, fmt.Sprintf("c%d.toml", i))
			conf := fmt.Sprintf("state_dir = %q\nstatus_file = %q\nlog_target = \"stderr\"\n[discovery]\npagekite_dir = %q\n[restart]\nunit = \"\"\n[report]\nenabled = false\n%s",
				tt.stateDir, tt.statusFile, filepath.Join(base, "no-pagekite.d"), kiteEntry("a.kite.test", "127.0.0.1:1"))
			if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runCmd(t, "validate", "--config", path)
			if tt.want == "" {
				if code != exitOK {
					t.Errorf("validate = %d, want 0:\n%s%s", code, out, errOut)
				}
				return
			}
			if code != exitConfig || !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "directory not trusted") {
				t.Errorf("validate = %d, %q; want %d saying %q", code, errOut, exitConfig, tt.want)
			}
			// run, bounded: it must refuse at once, with the same lines.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var rout, rerr bytes.Buffer
			rcode := run(ctx, []string{"run", "--config", path}, &rout, &rerr)
			if rcode != exitConfig || rerr.String() != errOut {
				t.Errorf("run = %d, %q; want %d and validate's words %q", rcode, rerr.String(), exitConfig, errOut)
			}
			for _, p := range []string{filepath.Join(theirs, "status.json"), filepath.Join(theirs, "run"), filepath.Join(theirs, "state"), filepath.Join(open, "state")} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s was written", p)
				}
			}
		})
	}
}

// TestValidateRefusesWhatRunRefuses: a report.ca_file without a
// certificate, which run refuses at start (exit 78), fails validate too,
// with the same words (#30 item 7: validate said "valid").
func TestValidateRefusesWhatRunRefuses(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, fmt.Sprintf("[restart]\nunit = \"\"\n[report]\nenabled = true\nurl = \"https://127.0.0.1:1/\"\nca_file = %q\n%s", ca, kiteEntry("a.kite.test", "127.0.0.1:1")))
	const want = "no PEM certificate in it"
	code, out, errOut := runCmd(t, "validate", "--config", path)
	if code != exitConfig || !strings.Contains(errOut, want) {
		t.Errorf("validate = %d, %q%q; want %d saying %q", code, out, errOut, exitConfig, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var rout, rerr bytes.Buffer
	if rcode := run(ctx, []string{"run", "--config", path}, &rout, &rerr); rcode != exitConfig || !strings.Contains(rerr.String(), want) {
		t.Errorf("run = %d, %q; want %d saying %q", rcode, rerr.String(), exitConfig, want)
	}
}

// TestPlantedPagekitecStatusIgnored: pagekitec's -Y status file in a
// world-writable sticky directory, planted by nobody and saying
// "rejected", is no verdict (#30 item 5: it gave 7 "rejected" verdicts
// and no restart for a wedged pagekitec): check says kite-down, and
// validate says why the file is ignored. The same file of root's is
// believed. The relay is Debian's real one (the kite is not connected to
// it: down); the pagekitec instance is named in the config, with no
// process (the real pagekitec is not packaged by Debian).
func TestPlantedPagekitecStatusIgnored(t *testing.T) {
	pktest.RequireRoot(t)
	relay := pktest.StartRelay(t)
	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(shared, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, os.ModeSticky|0o777); err != nil { // as /tmp
		t.Fatal(err)
	}
	status := filepath.Join(shared, "pagekitec.status")
	body := fmt.Sprintf("{\"pagekitec_status\": \"rejected\", \"pagekitec_update_min_interval\": 240, \"pagekitec_update_ts\": %d}\n", time.Now().Unix())
	if err := os.WriteFile(status, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	name := "wedged." + relay.Domain
	path := writeConfig(t, fmt.Sprintf("[probe]\ntimeout = \"4s\"\n[restart]\nunit = \"\"\n[report]\nenabled = false\n"+
		"[[pagekite]]\nname = \"pkc\"\nkind = \"pagekitec\"\npidfile = %q\nlog_file = %q\nstatus_file = %q\n"+
		"[[kite]]\nname = %q\nurl = \"http://%s/\"\nconnect_to = %q\npagekite = \"pkc\"\n",
		filepath.Join(shared, "none.pid"), filepath.Join(shared, "none.log"), "json:"+status, name, name, relay.Addr))
	for _, tt := range []struct {
		owner int
		want  string
	}{
		{65534, "kite-down"},
		{0, "rejected"},
	} {
		if err := os.Chown(status, tt.owner, tt.owner); err != nil {
			t.Fatal(err)
		}
		_, results, errOut := checkJSON(t, path)
		if len(results) != 1 || string(results[0].Verdict) != tt.want {
			t.Errorf("check with the status file of uid %d = %+v, %s; want %s", tt.owner, results, errOut, tt.want)
		}
		code, out, errOut := runCmd(t, "validate", "--config", path)
		warned := strings.Contains(errOut, "pagekite pkc: ignored for verdicts: "+status+": file not trusted: owned by uid 65534")
		if code != exitOK || warned != (tt.owner != 0) {
			t.Errorf("validate with the status file of uid %d = %d, %s%s; want 0, saying why it is ignored when it is nobody's", tt.owner, code, out, errOut)
		}
	}
}
