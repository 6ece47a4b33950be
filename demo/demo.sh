#!/usr/bin/env bash
# demo/demo.sh — pkwatchdogd end to end, on 127.0.0.1 only (`make demo`).
#
# Starts a PageKite relay, a local web server, a kite under a small
# respawning supervisor (what systemd does for pagekite.service), and a
# local HTTPS crash-report collector; then runs bin/pkwatchdogd against them,
# freezes the kite and watches pkwatchdogd notice, wait out its grace
# period, kill the kite with SIGSEGV, report the crash and see the new kite
# fly. All state lives in a fresh /tmp/pkwatchdogd-demo.XXXXXX directory
# (kept afterwards for a look); every process the demo starts is ended, by
# PID, when it finishes or is interrupted. Exits 0 only if the whole
# sequence happened, so it doubles as a smoke test. See demo/README.md.
#
# Environment: PKWATCHDOGD (binary, default bin/pkwatchdogd), PAGEKITE
# (default: pagekite from PATH), DEMO_TIMEOUT (seconds to wait for the
# recovery after the freeze, default 90), DEMO_CUT=relay (restart the relay
# instead of cutting the frozen kite's tunnel with ss -K; for testing).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${PKWATCHDOGD:-$ROOT/bin/pkwatchdogd}
PAGEKITE=${PAGEKITE:-$(command -v pagekite || true)}
DEMO_TIMEOUT=${DEMO_TIMEOUT:-90}
KITE=demo.kite.test
HELPER=$ROOT/demo/helper.py
T0=$(date +%s%N)

# --- output ----------------------------------------------------------------

if [ -t 1 ]; then B=$'\e[1m' R=$'\e[31m' G=$'\e[32m' N=$'\e[0m'; else B='' R='' G='' N=''; fi
tenths() { local d=$((($(date +%s%N) - $1) / 100000000)); printf '%d.%d' $((d / 10)) $((d % 10)); }
elapsed() { printf '%6ss' "$(tenths "$T0")"; }
say() { printf '%s==> [%s] %s%s\n' "$B" "$(elapsed)" "$*" "$N"; }
fail() {
	printf '%s==> [%s] DEMO FAILED: %s%s\n' "$R" "$(elapsed)" "$*" "$N" >&2
	exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 not found: $2"; }

# --- preconditions ---------------------------------------------------------

[ -n "$PAGEKITE" ] || fail "pagekite not found: run 'make deps' (Debian's pagekite package)"
[ -x "$BIN" ] || fail "$BIN not found: run 'make build'"
need python3 "the demo's web server and HTTP checks use it"
need go "the demo builds its crash collector (demo/collector) with it"
need ss "the demo cuts the frozen kite's tunnel with 'ss -K' (package iproute2)"
[ "$(id -u)" = 0 ] || say "not running as root: fine for the demo, but pkwatchdogd is meant to run as root"

DIR=$(mktemp -d /tmp/pkwatchdogd-demo.XXXXXX)
chmod 755 "$DIR"
mkdir -p "$DIR"/{kite,relay,www,collector,state,pagekite.d}
say "demo directory: $DIR"

# --- cleanup: end everything we started, by PID -----------------------------

PIDS=()     # name:pid of every background process, in start order
SUPERVISOR= # the kite supervisor's PID
WATCHDOG=   # pkwatchdogd's PID

# alive PID: true if PID names a live process.
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

stop_pid() { # stop_pid NAME PID: TERM (and CONT, for a frozen kite), then KILL
	local name=$1 pid=$2 i
	alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	kill -CONT "$pid" 2>/dev/null || true
	for i in $(seq 1 30); do
		alive "$pid" || return 0
		sleep 0.1
	done
	echo "demo: $name (pid $pid) did not stop on SIGTERM; SIGKILL" >&2
	kill -KILL "$pid" 2>/dev/null || true
}

kite_pid() { # the current kite's PID, from the pid file pagekite writes
	local pid
	pid=$(cat "$DIR/kite/pagekite.pid" 2>/dev/null || true)
	[ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q -- "--logfile=$DIR/kite/" && echo "$pid"
	return 0
}

cleanup() {
	local rc=$? i entry
	trap - EXIT INT TERM
	[ -n "$WATCHDOG" ] && stop_pid pkwatchdogd "$WATCHDOG"
	# The supervisor first, so that it respawns nothing; its trap ends its kite.
	[ -n "$SUPERVISOR" ] && stop_pid supervisor "$SUPERVISOR"
	stop_pid kite "$(kite_pid)"
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		entry=${PIDS[i]}
		stop_pid "${entry%%:*}" "${entry##*:}"
	done
	wait 2>/dev/null || true
	if [ "$rc" = 0 ]; then
		say "${G}demo passed${N}${B}; nothing left running; files kept in $DIR"
	else
		say "demo ended (status $rc); nothing left running; files kept in $DIR"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers -----------------------------------------------------------------

http_get() { python3 "$HELPER" get "$@"; }                 # URL [HOST] [TIMEOUT]
http_status() { python3 "$HELPER" status "$@"; }          # URL [HOST] [TIMEOUT]
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...: poll every 0.5 s
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 2; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	fail "timed out after ${secs}s waiting for $what"
}
metrics() { http_get "http://127.0.0.1:$MPORT/metrics" "" 3 2>/dev/null || true; }
metric() { # metric TEXT NAME LABEL-REGEX: the value of the first matching sample, else 0
	local v
	v=$(printf '%s\n' "$1" | grep -E "^$2\{[^}]*$3" | head -n 1 | awk '{print $NF}')
	echo "${v:-0}"
}
positive() { awk -v v="$1" 'BEGIN { exit !(v > 0) }'; }

# --- 1. the relay ----------------------------------------------------------

read -r RPORT WPORT MPORT <<<"$(python3 "$HELPER" ports 3)"
SECRET="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

start_relay() {
	"$PAGEKITE" --clean --isfrontend --ports="$RPORT" --protos=http,raw --rawports=virtual \
		--domain="http,raw-22:*.kite.test:$SECRET" --nullui \
		--logfile="$DIR/relay/pagekite.log" </dev/null >>"$DIR/relay/stdout.log" 2>&1 &
	RELAY=$!
	PIDS+=("relay:$RELAY")
	relay_up() { http_get "http://127.0.0.1:$RPORT/ping" ping.pagekite 3 | grep -qi '^X-PageKite-UUID:'; }
	wait_for 15 "the relay on 127.0.0.1:$RPORT" relay_up
}
say "starting a PageKite relay on 127.0.0.1:$RPORT (Debian's pagekite --isfrontend)"
start_relay

# --- 2. the local web server -------------------------------------------------

echo "<h1>Hello from $KITE</h1>" >"$DIR/www/index.html"
python3 "$HELPER" serve "$DIR/www" "$WPORT" </dev/null >"$DIR/www.log" 2>&1 &
PIDS+=("webserver:$!")
say "starting a web server on 127.0.0.1:$WPORT"
web_up() { test "$(http_status "http://127.0.0.1:$WPORT/")" = 200; }
wait_for 10 "the web server" web_up

# --- 3. the crash-report collector -------------------------------------------

say "building and starting the HTTPS crash-report collector (demo/collector)"
(cd "$ROOT" && go build -o "$DIR/collector/collector" ./demo/collector) || fail "building demo/collector"
"$DIR/collector/collector" -listen 127.0.0.1:0 -dir "$DIR/collector" -secret "$SECRET" \
	</dev/null > >(tee "$DIR/collector/collector.log") 2>&1 &
PIDS+=("collector:$!")
wait_for 10 "the collector" test -s "$DIR/collector/addr"
COLLECTOR=$(cat "$DIR/collector/addr")

# --- 4. the kite, under a respawning supervisor ------------------------------

# The kite's account, as /etc/pagekite.d would hold it: pkwatchdogd reads it
# (discovery.pagekite_dir) to learn the secret it must scrub from reports.
cat >"$DIR/pagekite.d/10_account.rc" <<EOF
# Written by demo/demo.sh.
kitename   = $KITE
kitesecret = $SECRET
EOF
cat >"$DIR/pagekite.d/80_httpd.rc" <<EOF
service_on = http:@kitename : 127.0.0.1:$WPORT : @kitesecret
EOF
chmod 600 "$DIR/pagekite.d/"*.rc

# supervise runs the kite and starts it again whenever it exits, like
# systemd's Restart= for pagekite.service. The kite's secret is on its
# command line on purpose: pagekite logs its argv, so the secret is planted
# in the log that goes into the crash report, and must be scrubbed from it.
supervise() {
	local kpid='' n=0 rc sig
	trap '[ -n "$kpid" ] && { kill -TERM "$kpid"; kill -CONT "$kpid"; } 2>/dev/null; exit 0' TERM
	trap '' INT
	cd "$DIR/kite"
	ulimit -c 0 # the demo keeps no core: as root it would hold the secret in clear
	while :; do
		n=$((n + 1))
		# No PYTHONFAULTHANDLER, as Debian's pagekite.service runs it:
		# pkwatchdogd reads the Python stacks from the kite's memory.
		"$PAGEKITE" --clean --frontend="127.0.0.1:$RPORT" \
			--service_on="http:$KITE:127.0.0.1:$WPORT:$SECRET" \
			--keepalive=1800 --nullui --logfile="$DIR/kite/pagekite.log" \
			--pidfile="$DIR/kite/pagekite.pid" </dev/null >>"$DIR/kite/stdout.log" 2>&1 &
		kpid=$!
		echo "supervisor: [$(elapsed)] kite started, pid $kpid (start #$n)" | tee -a "$DIR/supervisor.log"
		set +e
		wait "$kpid"
		rc=$?
		set -e
		sig=
		[ "$rc" -gt 128 ] && sig=" (killed by SIG$(kill -l $((rc - 128))))"
		echo "supervisor: [$(elapsed)] kite pid $kpid exited with status $rc$sig; restarting it in 1s" | tee -a "$DIR/supervisor.log"
		kpid=
		sleep 1
	done
}
say "starting the kite $KITE under a respawning supervisor"
supervise 2>>"$DIR/supervisor.log" &
SUPERVISOR=$!

kite_flying() { test "$(http_status "http://127.0.0.1:$RPORT/" "$KITE" 3)" = 200; }
wait_for 30 "the kite to fly through the relay" kite_flying
KITE1=$(kite_pid)
[ -n "$KITE1" ] || fail "no kite PID in $DIR/kite/pagekite.pid"
say "the kite is flying: http://$KITE/ through the relay answers 200 (kite pid $KITE1)"

# --- 5. pkwatchdogd ------------------------------------------------------------

CONF=$DIR/pkwatchdogd.toml
sed -e "s|@DIR@|$DIR|g" -e "s|@RELAY_PORT@|$RPORT|g" -e "s|@METRICS_PORT@|$MPORT|g" \
	-e "s|@COLLECTOR@|$COLLECTOR|g" "$ROOT/configs/demo.toml" >"$CONF"
"$BIN" validate --config "$CONF" || fail "pkwatchdogd validate rejected $CONF"

say "starting pkwatchdogd run --config $CONF (its log follows, and is saved in $DIR/pkwatchdogd.log)"
"$BIN" run --config "$CONF" </dev/null > >(tee "$DIR/pkwatchdogd.log") 2>&1 &
WATCHDOG=$!

seen_flying() { positive "$(metric "$(metrics)" pkwatchdogd_probe_verdicts_total 'verdict="flying"')"; }
wait_for 20 "pkwatchdogd to see the kite flying (its /metrics on 127.0.0.1:$MPORT)" seen_flying
sleep 5 # let it fly for a few probes
alive "$WATCHDOG" || fail "pkwatchdogd exited"

# --- 6. the freeze -------------------------------------------------------------

# A hung kite (SIGSTOP here) keeps its tunnel open: the relay would notice
# only about 150 s later (measured with Debian's pagekite 1.5.2), and until
# then pkwatchdogd sees "stalled", which rightly never triggers a restart. To
# keep the demo short, the demo then cuts the frozen kite's tunnel, as the
# relay eventually would; the relay then says "down-fe" at once.
KPID=$(kite_pid)
[ "$KPID" = "$KITE1" ] || fail "the kite restarted by itself before the freeze (pid ${KPID:-none}, was $KITE1)"
say "freezing the kite: kill -STOP $KPID, and cutting its tunnel to the relay"
T_FREEZE=$(date +%s%N)
kill -STOP "$KPID"
KPORTS=$(ss -tnpH state established "( dport = :$RPORT )" | grep "pid=$KPID," | awk '{print $3}' | sed 's/.*://' || true)
if [ "${DEMO_CUT:-ss}" = ss ]; then
	for p in $KPORTS; do
		ss -K -tn state established "( sport = :$p and dport = :$RPORT )" >/dev/null 2>&1 || true
	done
fi
relay_says_down() { http_get "http://127.0.0.1:$RPORT/~:PageKite:~/$KITE/probe.json" "" 3 | grep -q down-fe; }
# Each try takes ~1.1 s when the tunnel is gone, 3 s (timeout) when not.
if [ "${DEMO_CUT:-ss}" != ss ] || ! (for i in 1 2; do relay_says_down && exit 0; sleep 0.5; done; exit 1); then
	# No 'ss -K' here (kernel without CONFIG_INET_DIAG_DESTROY): restart the
	# relay instead, which drops every tunnel; the frozen kite cannot return.
	say "could not cut the tunnel with ss -K; restarting the relay instead"
	stop_pid relay "$RELAY"
	start_relay
	wait_for 10 "the relay to say the kite is down" relay_says_down
fi
say "the relay now says the kite is not connected (probe.json: down-fe); pkwatchdogd should notice"

# --- 7. watch ------------------------------------------------------------------

# The metrics' state-change counters record every transition, however brief.
declare -A AT=()
STEPS=("healthy suspect" "suspect grace" "grace restarting" "restarting cooldown" "cooldown healthy")
since_freeze() { tenths "$T_FREEZE"; }
deadline=$(($(date +%s) + DEMO_TIMEOUT))
while :; do
	m=$(metrics)
	for s in "${STEPS[@]}"; do
		from=${s% *} to=${s#* }
		if [ -z "${AT[$s]:-}" ] && positive "$(metric "$m" pkwatchdogd_kite_state_changes_total "from=\"$from\".*to=\"$to\"")"; then
			AT[$s]=$(since_freeze)
			say "pkwatchdogd: $from → $to (${AT[$s]}s after the freeze)"
		fi
	done
	reports=$(grep -c '^collector: .* report [0-9]*:' "$DIR/collector/collector.log" || true)
	[ -n "${AT[cooldown healthy]:-}" ] && [ "$reports" -ge 1 ] && break
	alive "$WATCHDOG" || fail "pkwatchdogd exited"
	[ "$(date +%s)" -lt "$deadline" ] || break
	sleep 0.5
done

# --- 8. summary and verdict ----------------------------------------------------

m=$(metrics)
KITE2=$(kite_pid)
say "summary"
echo "  kite pid before: $KITE1, after: ${KITE2:-none}"
grep -h "exited" "$DIR/supervisor.log" | sed 's/^/  /' || true
for s in "${STEPS[@]}"; do
	if [ -n "${AT[$s]:-}" ]; then when="${AT[$s]}s after the freeze"; else when="not seen"; fi
	printf '  %-24s %s\n' "${s/ / → }" "$when"
done
echo "  restarts:   $(printf '%s\n' "$m" | grep -E '^pkwatchdogd_restarts_total' | sed 's/pkwatchdogd_restarts_total//' | tr '\n' ' ')"
echo "  reports:    $(printf '%s\n' "$m" | grep -E '^pkwatchdogd_reports_total' | sed 's/pkwatchdogd_reports_total//' | tr '\n' ' ')"
BUNDLES=$(find "$DIR/state" -type f -name '*.tar*' 2>/dev/null | sort)
echo "  saved bundle(s): ${BUNDLES:-none}"
# Where the frozen kite was stuck, from the first report's stacks.
FIRST=$(printf '%s\n' "$BUNDLES" | head -n 1)
STACKS=
if [ -n "$FIRST" ]; then
	STACKS=$(tar -xOf "$FIRST" report.json | python3 -c '
import json, sys
s = json.load(sys.stdin).get("stacks") or {}
th, py = s.get("threads") or [], s.get("python") or []
print("  stacks:     %d threads (%s), %d Python stacks from %s (CPython %s); signature %s (from %s)" % (
    len(th), ", ".join(sorted(set("%s in %s" % (t["state"], t.get("syscall", "?")) for t in th))),
    len(py), s.get("python_source", "nowhere"), s.get("python_version", "?"),
    s.get("signature", "none"), s.get("signature_from", "nothing")))
for t in py:
    print("    thread %s (tid %s): %s" % (t["id"], t.get("native_id"), " < ".join(
        "%s (%s:%s)" % (f["function"], f["file"].rsplit("/", 1)[-1], f["line"]) for f in t["frames"][:3])))
' 2>&1)
	printf '%s\n' "$STACKS"
fi
echo "  collector:  $(grep -h ' report [0-9]*:' "$DIR/collector/collector.log" | head -n 1 | sed 's/^collector: //')"
# The status file follows a state change within about a second.
for i in $(seq 1 10); do
	grep -q '"state": *"healthy"' "$DIR/status.json" 2>/dev/null && break
	sleep 0.5
done
echo "  pkwatchdogd status:"
"$BIN" status --config "$CONF" 2>&1 | sed 's/^/    /' || true

problems=()
for s in "${STEPS[@]}"; do
	[ -n "${AT[$s]:-}" ] || problems+=("no ${s/ / → } transition")
done
grep -q "kite pid $KITE1 exited .*SIGSEGV" "$DIR/supervisor.log" ||
	problems+=("the frozen kite (pid $KITE1) did not die of SIGSEGV: $(grep -h "pid $KITE1 exited" "$DIR/supervisor.log" || echo 'it did not exit')")
[ -n "$KITE2" ] && [ "$KITE2" != "$KITE1" ] || problems+=("no new kite process")
kite_flying || problems+=("the new kite is not flying")
[ -n "$BUNDLES" ] || problems+=("no crash report bundle under $DIR/state")
# Read from the kite's memory while it was stopped, before the kill: the
# Python frames, and the signature made from them.
grep -q '[1-9][0-9]* Python stacks from memory (CPython 3[.0-9]*); signature [0-9a-f]\{32\} (from python)' <<<"$STACKS" ||
	problems+=("the report has no Python stacks read from memory, or no signature of them: $STACKS")
grep -q ' report 1: .*no planted secret found' "$DIR/collector/collector.log" ||
	problems+=("the collector did not receive one clean report")
! grep -q 'SECRET LEAKED' "$DIR/collector/collector.log" || problems+=("the kite secret survived in a report")
! grep -rqF -- "$SECRET" "$DIR/state" 2>/dev/null || problems+=("the kite secret is in a file under $DIR/state")

if [ ${#problems[@]} -gt 0 ]; then
	for p in "${problems[@]}"; do echo "  ${R}problem:${N} $p" >&2; done
	fail "${#problems[@]} problem(s); logs in $DIR"
fi
say "${G}the frozen kite was detected, killed with SIGSEGV, restarted and reported; it flies again${N}"
