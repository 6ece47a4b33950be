package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pagekite/pkwatchdogd/internal/pktest"
)

const (
	dashboardFile = "../../packaging/grafana/pkwatchdogd.json"
	rulesFile     = "../../configs/pkwatchdogd.rules.yml"
	rulesTestFile = "../../configs/pkwatchdogd.rules.test.yml"
)

// dashboard is what the test reads of the Grafana dashboard: its panels'
// queries and legends, and its template variables' queries.
type dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr         string `json:"expr"`
			LegendFormat string `json:"legendFormat"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// grafanaVars are the values the test gives the dashboard's variables, as
// Grafana would substitute them: every pkwatchdogd, a rate window that
// holds the whole test.
var grafanaVars = strings.NewReplacer("$__rate_interval", "3m", "$__range", "5m", "$instance", ".+")

// nonZeroPanels are the panels that must show the test's events, not only
// series: the restart, the held-back restart, the report, the pings.
var nonZeroPanels = []string{"Restarts per PageKite instance", "Suppressed restarts per PageKite instance",
	"Crash reports by outcome", "Watchdog pings", "Kites by verdict", "Kites by state", "State changes since start"}

// promSeries is one series of a Prometheus instant query.
type promSeries struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s promSeries) String() string {
	var ls []string
	for k, v := range s.Metric {
		if k != "__name__" && k != "job" {
			ls = append(ls, k+"="+v)
		}
	}
	sort.Strings(ls)
	return fmt.Sprintf("{%s} %v", strings.Join(ls, ","), s.Value[1])
}

// prometheus is Debian's prometheus, started by the test on 127.0.0.1.
type prometheus struct{ base string }

// query runs an instant query.
func (p prometheus) query(t *testing.T, q string) ([]promSeries, error) {
	t.Helper()
	resp, err := http.Get(p.base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string       `json:"resultType"`
			Result     []promSeries `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s", r.Error)
	}
	return r.Data.Result, nil
}

// startPrometheus runs prometheus scraping target every second, with the
// alert rules loaded, and waits until it is ready.
func startPrometheus(t *testing.T, bin, target string) prometheus {
	t.Helper()
	dir := t.TempDir()
	rules, err := filepath.Abs(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: pkwatchdogd
    static_configs:
      - targets: [%q]
`, rules, target)
	cfgPath := pktest.WriteFile(t, dir, "prometheus.yml", cfg)
	addr := pktest.ClosedAddr(t)
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("prometheus log:\n%s", b)
		}
	})
	p := prometheus{base: "http://" + addr}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get(p.base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus on %s not ready within 30s", addr)
		}
	}
}

// legendLabels are the labels a legend format names ({{kite}}).
func legendLabels(format string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`).FindAllStringSubmatch(format, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestPrometheusDashboardAndRules: Debian's prometheus scrapes a running
// daemon every second. The daemon watches real kites through real relays:
// instance "main" flies a.* (flying) and b.* (probed at a relay it is not
// on: kite-down, so main is restarted once, then held back by its budget
// of one), instance "bad" flies a kite with a wrong secret (rejected by
// its relay). Reports go to a collector on 127.0.0.1; watchdog pings to a
// socket standing for systemd's. Then every query of every panel of the
// Grafana dashboard returns series with the labels its legend uses, and
// so does every alert rule's expression (the no-pings rule once the daemon
// is stopped); promtool finds nothing wrong in the rules (check and unit
// tests) or in a live scrape.
func TestPrometheusDashboardAndRules(t *testing.T) {
	promBin := pktest.RequireProgram(t, "prometheus", "apt-get install -y prometheus, or make deps")
	promtool := pktest.RequireProgram(t, "promtool", "apt-get install -y prometheus, or make deps")
	bin := pktest.PagekiteBinary(t)

	t.Run("promtool check rules", func(t *testing.T) {
		out, err := exec.Command(promtool, "check", "rules", rulesFile).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "SUCCESS") || strings.Contains(strings.ToLower(string(out)), "warn") {
			t.Errorf("promtool check rules = %v:\n%s", err, out)
		}
		out, err = exec.Command(promtool, "test", "rules", rulesTestFile).CombinedOutput()
		if err != nil {
			t.Errorf("promtool test rules = %v:\n%s", err, out)
		}
	})

	relayA := pktest.StartRelay(t)
	relayB := pktest.StartRelay(t)
	web := pktest.StartWebServer(t)
	dir := t.TempDir()
	up, down := pktest.HTTPService("a."+relayA.Domain, web), pktest.HTTPService("b."+relayA.Domain, web)
	mainPID, mainLog := filepath.Join(dir, "main.pid"), filepath.Join(dir, "main.log")
	mainSup := pktest.Supervise(t, append(pktest.KiteArgv(bin, relayA, mainLog, up, down), "--pidfile="+mainPID),
		pktest.SuperviseOptions{MaxRestarts: 3, Dir: dir})
	wrong := *relayA
	wrong.Secret = "not-the-relays-secret"
	bad := pktest.HTTPService("bad."+relayA.Domain, web)
	badPID, badLog := filepath.Join(dir, "bad.pid"), filepath.Join(dir, "bad.log")
	pktest.Supervise(t, append(pktest.KiteArgv(bin, &wrong, badLog, bad), "--pidfile="+badPID),
		pktest.SuperviseOptions{MaxRestarts: 3, Dir: dir})
	waitPID(t, mainPID, 20*time.Second)
	waitPID(t, badPID, 20*time.Second)
	waitLogged(t, badLog, "err=Rejected", 20*time.Second) // the kite with the wrong secret
	collector := pktest.StartHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "thanks\n")
	}))

	// systemd's notification socket: the daemon pings its watchdog there.
	sock := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
		}
	}()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "2000000")

	metricsAddr := pktest.ClosedAddr(t)
	path := filepath.Join(t.TempDir(), "pkwatchdogd.toml")
	body := fmt.Sprintf("metrics_listen = %q\n", metricsAddr) + statusHeader(path) + fmt.Sprintf(`
[probe]
interval = "2s"
jitter = 0.0
timeout = "1900ms"
[policy]
failure_threshold = 1
grace_period = "1s"
cooldown = "2s"
max_cooldown = "2s"
max_restarts = 1
restart_window = "1h"
min_process_age = "0s"
# Time for prometheus' first scrapes: they see the counters at 0.
startup_delay = "8s"
[restart]
unit = ""
diagnostics = false
stacks = "off"
kill_timeout = "5s"
respawn_timeout = "20s"
[report]
url = "http://%s/crashes"
[[pagekite]]
name = "main"
pidfile = %q
log_file = %q
[[pagekite]]
name = "bad"
pidfile = %q
log_file = %q
[[kite]]
name = %q
connect_to = %q
pagekite = "main"
[[kite]]
name = %q
connect_to = %q
pagekite = "main"
[[kite]]
name = %q
connect_to = %q
pagekite = "bad"
`, collector, mainPID, mainLog, badPID, badLog, up.Name, relayA.Addr, down.Name, relayB.Addr, bad.Name, relayA.Addr)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// Prometheus first, so that its first scrapes see the counters at 0.
	prom := startPrometheus(t, promBin, metricsAddr)
	d := runInProcess(t, path)

	// Wait, bounded, until the scrapes hold the restart, the held-back
	// restart, the report, the rejected kite and the pings.
	ready := []string{
		`pkwatchdogd_restarts_total{outcome!=""} > 0`,
		`pkwatchdogd_restarts_suppressed_total > 0`,
		`pkwatchdogd_reports_total > 0`,
		`pkwatchdogd_kite_last_verdict{verdict="rejected"} == 1`,
		`pkwatchdogd_watchdog_pings_total > 0`,
		`count(pkwatchdogd_probe_duration_seconds_count) >= 3`,
	}
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(time.Second) {
		var missing []string
		for _, q := range ready {
			if s, err := prom.query(t, q); err != nil || len(s) == 0 {
				missing = append(missing, q)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 90s, prometheus has nothing for %q (pagekite main restarted %d times)\ndaemon log:\n%s", missing, mainSup.Restarts(), d.out.String())
		}
	}
	time.Sleep(3 * time.Second) // a few more scrapes for the rates

	t.Run("promtool check metrics", func(t *testing.T) {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		scrape, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(string(scrape))
		if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("promtool check metrics = %v:\n%s\nscrape:\n%s", err, out, scrape)
		}
	})

	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash dashboard
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if len(dash.Panels) < 8 {
		t.Fatalf("%s has %d panels, want every one the issue names", dashboardFile, len(dash.Panels))
	}
	t.Run("variables", func(t *testing.T) {
		for _, v := range dash.Templating.List {
			q, _ := v.Query.(map[string]any)
			s, _ := q["query"].(string)
			m := regexp.MustCompile(`^label_values\((\w+), *(\w+)\)$`).FindStringSubmatch(s)
			if m == nil {
				continue
			}
			series, err := prom.query(t, m[1])
			if err != nil || len(series) == 0 || series[0].Metric[m[2]] == "" {
				t.Errorf("variable %s: %s = %v, %v; want series with label %s", v.Name, m[1], series, err, m[2])
			}
		}
	})
	for _, p := range dash.Panels {
		t.Run("panel "+p.Title, func(t *testing.T) {
			if len(p.Targets) == 0 {
				t.Fatalf("panel %q has no query", p.Title)
			}
			for _, target := range p.Targets {
				q := grafanaVars.Replace(target.Expr)
				series, err := prom.query(t, q)
				if err != nil || len(series) == 0 {
					t.Errorf("panel %q: %s = %v, %v; want series", p.Title, q, series, err)
					continue
				}
				if slices.Contains(nonZeroPanels, p.Title) && !slices.ContainsFunc(series, func(s promSeries) bool { return s.Value[1] != "0" }) {
					t.Errorf("panel %q: %s = %v; want the test's events (a value above 0)", p.Title, q, series)
				}
				for _, s := range series {
					for _, l := range legendLabels(target.LegendFormat) {
						if s.Metric[l] == "" {
							t.Errorf("panel %q: %s: series %v lacks label %s of its legend %q", p.Title, q, s, l, target.LegendFormat)
						}
					}
				}
				t.Logf("panel %q, %s: %v", p.Title, target.LegendFormat, series)
			}
		})
	}

	// The alert rules, as prometheus loaded them.
	resp, err := http.Get(prom.base + "/api/v1/rules?type=alert")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name        string            `json:"name"`
					Query       string            `json:"query"`
					Annotations map[string]string `json:"annotations"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&rules)
	resp.Body.Close()
	if err != nil || len(rules.Data.Groups) == 0 {
		t.Fatalf("prometheus loaded no alert rules from %s: %v", rulesFile, err)
	}
	type rule struct{ name, query, text string }
	var all []rule
	for _, g := range rules.Data.Groups {
		for _, r := range g.Rules {
			all = append(all, rule{r.Name, r.Query, r.Annotations["summary"] + r.Annotations["description"]})
		}
	}
	// checkRule: the rule's expression returns series, each with the
	// labels its summary and description use ({{ $labels.kite }}).
	checkRule := func(t *testing.T, r rule) {
		series, err := prom.query(t, r.query)
		if err != nil || len(series) == 0 {
			t.Errorf("alert %s: %s = %v, %v; want series", r.name, r.query, series, err)
			return
		}
		for _, m := range regexp.MustCompile(`\$labels\.(\w+)`).FindAllStringSubmatch(r.text, -1) {
			for _, s := range series {
				if s.Metric[m[1]] == "" {
					t.Errorf("alert %s: series %v lacks label %s that its text uses", r.name, s, m[1])
				}
			}
		}
		t.Logf("alert %s: %v", r.name, series)
	}
	const noPings = "PkwatchdogdNoWatchdogPings"
	for _, r := range all {
		if r.name == noPings {
			continue
		}
		t.Run("alert "+r.name, func(t *testing.T) { checkRule(t, r) })
	}
	// The no-pings rule fires when the daemon is gone: stop it, and let
	// prometheus see a failed scrape.
	i := slices.IndexFunc(all, func(r rule) bool { return r.name == noPings })
	if i < 0 {
		t.Fatalf("no alert %s in %s", noPings, rulesFile)
	}
	d.stop(t)
	t.Run("alert "+noPings, func(t *testing.T) {
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
			if s, _ := prom.query(t, all[i].query); len(s) > 0 {
				break
			}
		}
		checkRule(t, all[i])
	})
}
