#!/bin/bash
# e2e-systemd.sh: pkwatchdogd end to end under a real systemd (`make test-systemd`).
#
# Boots Debian bookworm's systemd 252 in systemd-nspawn (see
# /work/shared/reference/real-systemd.md), with a PageKite relay and a web
# server as units inside, Debian's own pagekite.service as the kite, and
# pkwatchdogd installed either from the .deb named by PKWD_E2E_DEB (with
# `apt-get install ./FILE.deb` inside, as a user would; `make test-systemd`
# does this) or, without it, as a static binary plus
# packaging/systemd/pkwatchdogd.service copied into the root. Then checks,
# with systemctl and journalctl as a user would:
#   0. systemd-analyze verify finds nothing wrong with the unit (and the
#      exposure score of systemd-analyze security is printed)
#   1. `systemctl enable --now pkwatchdogd` returns once READY=1 came; STATUS shows
#   2. a frozen kite is restarted by pkwatchdogd through systemd (SIGSEGV to
#      pagekite.service's main process), systemd restarts it, it flies again
#   3. the journal has the kite's state changes (KITE=) and the restart's MESSAGE_ID
#   4. a reload with a broken config keeps the old one; a fixed one is applied
#   5. a wedged loop stops the watchdog pings: systemd kills and restarts pkwatchdogd
#   6. (only from the .deb) right after `apt-get install`, dpkg says the
#      package is installed, and its postinst enabled and started the unit;
#      the config written before the install was kept (it is a conffile)
#   7. with Debian's pagekite.service unmodified (no faulthandler),
#      `pkwatchdogd validate` says python stacks are read from memory, and
#      the report saved for check 2's restart has every thread's /proc
#      state (stopped) and its Python frames read from pagekite.py's
#      memory (running as daemon: not dumpable), naming pagekite's modules,
#      and a signature made from them
#   8. (only from the .deb) `man pkwatchdogd` and `man pkwatchdogd.toml`
#      show the package's manual pages
# From the .deb, the test config is in place before `apt-get install`, so
# that the postinst's start runs it, not the example; the test then stops and
# disables the unit, so that check 1 starts from a stopped, disabled unit.
# Prints PASS:/FAIL: per check, then "N passed, N failed"; exits 1 on any
# failure. The container shares the host's network; every port is on
# 127.0.0.1. Everything it starts is ended by PID and every cgroup and file
# it made is removed on exit (KEEP=1 keeps the work directory for a look).
#
# Environment: PKWD_E2E_DEB (a pkwatchdogd .deb for this machine's
# architecture, from `make deb`), PKWATCHDOGD (without PKWD_E2E_DEB: a static
# binary; default: built here with CGO_ENABLED=0), PKWD_E2E_CACHE (see
# test/e2e-root.sh), KEEP=1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
NAME=pkwd-e2e-$$
KITE=e2e.kite.test
SECRET=e2e-s3cret
T0=$(date +%s)

PASSED=0 FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }
say() { printf '  [%3ds] %s\n' $(($(date +%s) - T0)) "$*" >&2; }
die() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); exit 1; }

[ "$(id -u)" = 0 ] || { echo "e2e-systemd: must run as root" >&2; exit 1; }

WORK=$(mktemp -d /var/tmp/pkwd-e2e.XXXXXX)
NSPAWN_PID='' LEADER='' KEEP=${KEEP:-0}
CGROUPS=(/sys/fs/cgroup/systemd/$NAME /sys/fs/cgroup/unified/$NAME)

# --- teardown ------------------------------------------------------------------

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$FAILED" -gt 0 ] || [ "$rc" != 0 ]; then
		KEEP=1
	fi
	if [ -n "$LEADER" ] && [ -d "/proc/$LEADER" ]; then
		if [ "$KEEP" = 1 ]; then
			inside journalctl -b --no-pager -o short-precise >"$WORK/journal.txt" 2>&1 || true
			echo "e2e-systemd: the container's journal is in $WORK/journal.txt" >&2
		fi
		inside systemctl poweroff >/dev/null 2>&1 || true
	fi
	if [ -n "$NSPAWN_PID" ]; then
		for _ in $(seq 100); do # up to 10 s for a clean poweroff
			kill -0 "$NSPAWN_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$NSPAWN_PID" 2>/dev/null; then
			kill -KILL "$NSPAWN_PID" 2>/dev/null || true
		fi
		wait "$NSPAWN_PID" 2>/dev/null || true
	fi
	# Anything left in the container's cgroups was started by this test
	# (nspawn killed before the container's PID 1): end it by PID.
	local p left
	for _ in $(seq 50); do
		left=$(cgroup_pids)
		[ -z "$left" ] && break
		for p in $left; do kill -KILL "$p" 2>/dev/null || true; done
		sleep 0.1
	done
	local cg
	for cg in "${CGROUPS[@]}"; do
		[ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
		[ -d "$cg" ] && echo "e2e-systemd: could not remove $cg" >&2
	done
	if [ "$KEEP" = 1 ]; then
		rm -rf "$WORK/root"
		echo "e2e-systemd: kept $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers -------------------------------------------------------------------

# inside CMD...: run CMD in the container, as root, with a clean environment.
inside() { nsenter -t "$LEADER" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every half second.
wait_for() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 2; i++)); do
		"$@" && return 0
		sleep 0.5
	done
	say "timed out after ${secs}s waiting for $what"
	return 1
}

prop() { inside systemctl show -P "$2" "$1"; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# http_get URL HOST: the relay's answer for HOST, as status and body.
http_get() {
	python3 - "$1" "$2" <<'EOF'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], headers={"Host": sys.argv[2]})
try:
    with urllib.request.urlopen(req, timeout=3) as r:
        print(r.status, r.read().decode(errors="replace"))
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode(errors="replace"))
except Exception as e:
    print("error", e)
EOF
}
kite_flying() { http_get "http://127.0.0.1:$RPORT/" "$KITE" | grep -q '^200 .*e2e-origin-page'; }
relay_says_down() { http_get "http://127.0.0.1:$RPORT/~:PageKite:~/$KITE/probe.json" "$KITE" | grep -q down-fe; }

# journal ARGS...: this boot's journal of pkwatchdogd, messages only.
journal() { inside journalctl -b -u pkwatchdogd --no-pager -o cat "$@"; }

# --- the binary and the root ---------------------------------------------------

DEB=${PKWD_E2E_DEB:-}
BIN=${PKWATCHDOGD:-}
if [ -n "$DEB" ]; then
	[ -f "$DEB" ] || die "PKWD_E2E_DEB=$DEB: no such file"
	case $DEB in *.deb) ;; *) die "PKWD_E2E_DEB=$DEB: not a .deb" ;; esac
elif [ -z "$BIN" ]; then
	say "building a static pkwatchdogd"
	(cd "$SRC" && CGO_ENABLED=0 go build -trimpath -o "$WORK/pkwatchdogd" ./cmd/pkwatchdogd) || die "go build failed"
	BIN=$WORK/pkwatchdogd
fi
# The wedge test (5.) needs the one test hook, which only a binary built
# with the tag pkwatchdogd_testhooks has: the shipped one does not.
say "building pkwatchdogd with its test hooks, for the wedge test"
(cd "$SRC" && CGO_ENABLED=0 go build -trimpath -tags pkwatchdogd_testhooks -o "$WORK/pkwatchdogd-testhooks" ./cmd/pkwatchdogd) ||
	die "go build -tags pkwatchdogd_testhooks failed"
CACHED=$(bash "$HERE/e2e-root.sh") || die "could not build the Debian root"
say "copying the root $CACHED"
cp -a "$CACHED" "$WORK/root"
R=$WORK/root
MSG_RESTART=$(sed -n 's/^\s*MsgRestart\s*=\s*"\([0-9a-f]*\)".*/\1/p' "$SRC/internal/logging/messageid.go")
[ -n "$MSG_RESTART" ] || die "cannot read MsgRestart from internal/logging/messageid.go"

RPORT=$(free_port) OPORT=$(free_port)
while [ "$OPORT" = "$RPORT" ]; do OPORT=$(free_port); done

# pkwatchdogd: from the .deb once booted, or now as the package installs it.
if [ -z "$DEB" ]; then
	install -m 0755 "$BIN" "$R/usr/bin/pkwatchdogd"
	install -m 0644 "$SRC/packaging/systemd/pkwatchdogd.service" "$R/lib/systemd/system/pkwatchdogd.service"
fi
mkdir -p "$R/etc/pkwatchdogd"
write_config() { # write_config INTERVAL: the test config, short intervals
	cat >"$R/etc/pkwatchdogd/pkwatchdogd.toml" <<EOF
state_dir   = "/var/lib/pkwatchdogd"
status_file = "/run/pkwatchdogd/status.json"
log_level   = "info"
log_target  = "auto"

[probe]
interval    = "$1"
jitter      = 0.1
timeout     = "3s"
relay_cache = "5s"

[policy]
failure_threshold = 2
grace_period      = "4s"
cooldown          = "10s"
max_cooldown      = "1m"
max_restarts      = 5
restart_window    = "1h"
min_process_age   = "0s"
startup_delay     = "0s"

[restart]
method          = "systemd"
unit            = "pagekite.service"
signal          = "SIGSEGV"
diagnostics     = true
# Short, so that the daemon's busy limit for a loop (2 × probe timeout +
# kill + respawn + 2 × command timeout + 1 min) stays near 1.5 min: check 5
# waits that long for the wedged loop to count as stale.
kill_timeout    = "5s"
respawn_timeout = "15s"
command_timeout = "5s"

[report]
# Nothing may leave this machine (reports are still saved, for check 7).
enabled = false
journal_unit = "pagekite.service"

[discovery]
pagekite_dir = "/etc/pagekite.d"

[[kite]]
name       = "$KITE"
url        = "http://$KITE/"
connect_to = "127.0.0.1:$RPORT"
EOF
}
write_config 4s

# The relay and the kite's web server, as units.
cat >"$R/etc/systemd/system/pk-relay.service" <<EOF
[Unit]
Description=e2e PageKite relay on 127.0.0.1:$RPORT
[Service]
ExecStart=/usr/bin/pagekite --clean --isfrontend --ports=$RPORT --protos=http --domain=http:*.kite.test:$SECRET --nullui
EOF
mkdir -p "$R/srv/www"
echo "<html><body>e2e-origin-page</body></html>" >"$R/srv/www/index.html"
cat >"$R/etc/systemd/system/pk-origin.service" <<EOF
[Unit]
Description=e2e web server behind the kite
[Service]
ExecStart=/usr/bin/python3 -m http.server $OPORT --bind 127.0.0.1 --directory /srv/www
EOF

# The kite: Debian's pagekite.service, configured in /etc/pagekite.d/.
# keepalive = 1800: Debian's 1.5.2 relay drops a tunnel on the kite's
# keepalive PING (about every 116 s).
cat >"$R/etc/pagekite.d/10_account.rc" <<EOF
kitename   = $KITE
kitesecret = $SECRET
EOF
cat >"$R/etc/pagekite.d/20_frontends.rc" <<EOF
frontend  = 127.0.0.1:$RPORT
keepalive = 1800
EOF
cat >"$R/etc/pagekite.d/80_httpd.rc" <<EOF
service_on = http:@kitename:127.0.0.1:$OPORT:@kitesecret
EOF

# --- boot ------------------------------------------------------------------------

say "booting systemd in nspawn (machine $NAME)"
for cg in "${CGROUPS[@]}"; do mkdir -p "$cg"; done
(
	for cg in "${CGROUPS[@]}"; do echo "$BASHPID" >"$cg/cgroup.procs"; done
	exec unshare -m --propagation private sh -c \
		'mount -t tmpfs tmpfs /run && SYSTEMD_NSPAWN_LOCK=0 exec systemd-nspawn -q -D "$1" -M "$2" --boot --register=no --keep-unit --console=read-only --link-journal=no' \
		sh "$R" "$NAME"
) >"$WORK/nspawn.log" 2>&1 &
NSPAWN_PID=$!

# cgroup_pids: every process in the cgroups made for the container.
cgroup_pids() { find "${CGROUPS[1]}" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un; }

# find_leader: the container's PID 1, a descendant of nspawn whose innermost
# NSpid is 1.
find_leader() {
	local p
	for p in $(cgroup_pids); do
		if awk '/^NSpid:/ { exit !($NF == 1 && NF > 2) }' "/proc/$p/status" 2>/dev/null; then
			LEADER=$p
			return 0
		fi
	done
	return 1
}
booted() { local s; s=$(inside systemctl is-system-running 2>/dev/null) || true; [ "$s" = running ] || [ "$s" = degraded ]; }
wait_for 30 "the container's PID 1" find_leader || die "systemd did not start (see $WORK/nspawn.log)"
wait_for 60 "systemd to finish booting" booted || die "systemd did not finish booting"
say "booted: PID 1 is $LEADER on the host"

inside systemctl start pk-relay.service pk-origin.service || die "could not start the relay and the web server"
inside systemctl enable --now pagekite.service >/dev/null 2>&1 || die "could not start pagekite.service"
wait_for 60 "the kite to fly through the relay" kite_flying || die "the kite never flew"
say "the kite flies through the relay on 127.0.0.1:$RPORT"

# --- the package ----------------------------------------------------------------------

# Installed from the .deb: what the postinst did is recorded here and
# judged by check 6; then the unit is stopped and disabled for check 1.
if [ -n "$DEB" ]; then
	DEB_IN=/var/tmp/$(basename "$DEB")
	install -m 0644 "$DEB" "$R$DEB_IN"
	say "apt-get install $DEB_IN inside"
	# The config is not the package's: dpkg asks whether to keep it;
	# confold keeps it (the package's goes to .dpkg-dist).
	if ! inside env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$DEB_IN" >"$WORK/apt.log" 2>&1; then
		sed 's/^/    /' "$WORK/apt.log"
		die "apt-get install $DEB_IN failed"
	fi
	rm -f "$R$DEB_IN"
	DPKG_STATUS=$(inside dpkg-query -W -f '${Status} ${Version}' pkwatchdogd 2>&1 || true)
	DEB_ENABLED=$(inside systemctl is-enabled pkwatchdogd.service 2>&1 || true)
	DEB_ACTIVE=$(prop pkwatchdogd ActiveState)/$(prop pkwatchdogd SubState)
	DEB_CONFIG=replaced
	if grep -q "^name *= \"$KITE\"" "$R/etc/pkwatchdogd/pkwatchdogd.toml"; then DEB_CONFIG=kept; fi
	say "installed: dpkg '$DPKG_STATUS', is-enabled $DEB_ENABLED, $DEB_ACTIVE, test config $DEB_CONFIG"
	inside systemctl disable --now pkwatchdogd.service >/dev/null 2>&1 || die "systemctl disable --now pkwatchdogd failed"
fi

# --- validate, with Debian's pagekite.service as it is ------------------------------

# No faulthandler drop-in: the Python stacks are read from pagekite.py's
# memory, under the shipped unit's capabilities and system call filter.
VALIDATE=$(inside pkwatchdogd validate --config /etc/pkwatchdogd/pkwatchdogd.toml 2>&1 || true)

# --- 0. the unit file -----------------------------------------------------------------

if out=$(inside systemd-analyze verify /lib/systemd/system/pkwatchdogd.service 2>&1) && [ -z "$out" ]; then
	pass "0. systemd-analyze verify pkwatchdogd.service: clean"
else
	fail "0. systemd-analyze verify pkwatchdogd.service:"
	echo "$out" | sed 's/^/    /'
fi
say "systemd-analyze security: $(inside systemd-analyze security --no-pager pkwatchdogd.service 2>&1 | tail -1)"

# --- 1. readiness and status --------------------------------------------------------

if inside systemctl enable --now pkwatchdogd.service >"$WORK/enable.log" 2>&1; then
	state=$(prop pkwatchdogd ActiveState)/$(prop pkwatchdogd SubState)
	status=$(inside systemctl status --no-pager pkwatchdogd 2>&1 || true)
	if [ "$state" = active/running ] && grep -q '^ *Status: "' <<<"$status"; then
		pass "1. systemctl enable --now pkwatchdogd returned after READY=1 ($state); status says $(grep -m1 '^ *Status:' <<<"$status" | sed 's/^ *//')"
	else
		fail "1. after enable --now: state $state, status without a Status: line"
		echo "$status" | sed 's/^/    /'
	fi
else
	fail "1. systemctl enable --now pkwatchdogd failed: $(cat "$WORK/enable.log")"
fi
# check_package: check 6, from what was recorded right after apt-get install.
check_package() {
	[ -n "$DEB" ] || return 0
	if [ "${DPKG_STATUS% *}" = "install ok installed" ] && [ "$DEB_ENABLED" = enabled ] &&
		[ "$DEB_ACTIVE" = active/running ] && [ "$DEB_CONFIG" = kept ]; then
		pass "6. apt-get install ./$(basename "$DEB"): dpkg says '$DPKG_STATUS'; the postinst enabled it (is-enabled: $DEB_ENABLED) and started it ($DEB_ACTIVE); the existing config was kept"
	else
		fail "6. apt-get install ./$(basename "$DEB"): dpkg '$DPKG_STATUS', is-enabled $DEB_ENABLED, $DEB_ACTIVE after the postinst, config $DEB_CONFIG"
		sed 's/^/    /' "$WORK/apt.log"
	fi
	local man8 man5
	man8=$(inside env MANWIDTH=100 man -P cat pkwatchdogd 2>&1 || true)
	man5=$(inside env MANWIDTH=100 man -P cat pkwatchdogd.toml 2>&1 || true)
	if grep -q 'SIGHUP' <<<"$man8" && grep -q 'pkwatchdogd.toml(5)' <<<"$man8" && grep -q 'state_dir = "/var/lib/pkwatchdogd"' <<<"$man5"; then
		pass "8. man pkwatchdogd ($(wc -l <<<"$man8") lines) and man pkwatchdogd.toml ($(wc -l <<<"$man5") lines) show the package's pages"
	else
		fail "8. man pkwatchdogd / man pkwatchdogd.toml:"
		head -5 <<<"$man8" | sed 's/^/    /'
		head -5 <<<"$man5" | sed 's/^/    /'
	fi
}
# summary: the closing line alone, as test runners print it; the time before.
summary() {
	say "done in $(($(date +%s) - T0))s"
	echo "$PASSED passed, $FAILED failed"
}

if [ "$(prop pkwatchdogd ActiveState)" != active ]; then
	for n in 2 3 4 5; do fail "$n. skipped: pkwatchdogd is not running"; done
	check_package
	summary
	exit 1
fi

# --- 2. a frozen kite is restarted through systemd ----------------------------------

seen_flying() { inside cat /run/pkwatchdogd/status.json 2>/dev/null | grep -q '"verdict": *"flying"'; }
wait_for 30 "pkwatchdogd to see the kite flying" seen_flying || true
KITE_PID=$(prop pagekite MainPID)
N0=$(prop pagekite NRestarts)
say "freezing the kite (pagekite.service main PID $KITE_PID, NRestarts $N0)"
inside systemctl kill -s SIGSTOP --kill-whom=main pagekite.service
# A hung kite keeps its tunnel: the relay would notice only ~150 s later, and
# until then pkwatchdogd rightly sees "stalled". Restarting the relay drops
# the tunnel, as the relay eventually would: then it says down-fe at once.
inside systemctl restart pk-relay.service
wait_for 15 "the relay to say the kite is down" relay_says_down || true
restarted() { local n; n=$(prop pagekite NRestarts); [ "${n:-0}" -gt "$N0" ]; }
if wait_for 90 "systemd to restart pagekite.service" restarted; then
	NEW_PID=$(prop pagekite MainPID)
	say "pagekite.service restarted: NRestarts $(prop pagekite NRestarts), main PID $KITE_PID → $NEW_PID"
	segv=$(inside journalctl -b -u pagekite.service --no-pager -o cat | grep -c 'status=11/SEGV' || true)
	# A restarted kite may wait 60 s or more before the relay takes it back.
	if [ "$segv" -ge 1 ] && wait_for 150 "the kite to fly again" kite_flying; then
		pass "2. frozen kite: SIGSEGV by pkwatchdogd via systemd, NRestarts $N0 → $(prop pagekite NRestarts), flying again at +$(($(date +%s) - T0))s"
	else
		fail "2. pagekite.service restarted, but SIGSEGV seen $segv times and flying: $(kite_flying && echo yes || echo no)"
	fi
else
	fail "2. pagekite.service was not restarted (NRestarts $(prop pagekite NRestarts))"
fi

# --- 7. stacks in the report -----------------------------------------------------------

check_stacks() {
	local bundle out
	bundle=$(find "$R/var/lib/pkwatchdogd/reports" -name 'KITE-DOWN-*.tar' 2>/dev/null | sort | tail -n 1)
	if [ -z "$bundle" ]; then
		fail "7. no report saved under /var/lib/pkwatchdogd/reports"
		return
	fi
	out=$(tar -xOf "$bundle" report.json | python3 -c '
import json, sys
s = json.load(sys.stdin).get("stacks") or {}
th, py = s.get("threads") or [], s.get("python") or []
own = any("/pagekite/" in f["file"] for t in py for f in t["frames"])
ok = (th and all(t["state"] == "T" for t in th) and len(py) == len(th) and own and s.get("python_source") == "memory"
      and all(t.get("native_id") for t in py) and s.get("signature_from") == "python")
print(("ok" if ok else "bad") + " %d threads (%s), %d python stacks from %s (CPython %s; innermost: %s), signature %s from %s" % (
    len(th), " ".join(sorted(set(t["state"] + "/" + t.get("syscall", "") for t in th))), len(py), s.get("python_source"),
    s.get("python_version"), ", ".join(sorted(set(t["frames"][0]["function"] for t in py if t["frames"]))),
    s.get("signature"), s.get("signature_from")))
' 2>&1)
	if grep -q 'python stacks: read from memory (CPython 3' <<<"$VALIDATE" && [ "${out%% *}" = ok ]; then
		pass "7. pagekite.service as Debian ships it: validate says $(grep -o 'python stacks: read from memory ([^)]*)' <<<"$VALIDATE"); $(basename "$bundle"): ${out#ok }"
	else
		fail "7. validate: $(grep 'python stacks' <<<"$VALIDATE" || echo 'no python stacks line'); report: $out"
	fi
}
check_stacks

# --- 3. the journal ------------------------------------------------------------------

changes=$(journal KITE="$KITE" | grep -c 'kite state changed' || true)
# FROM→TO of each state change, from the journal's own fields.
steps=$(journal KITE="$KITE" -o json | python3 -c '
import json, sys
print(" ".join(e["FROM"] + "→" + e["TO"] for e in map(json.loads, sys.stdin) if "TO" in e))')
restart_entries=$(journal MESSAGE_ID="$MSG_RESTART" KITE="$KITE" | wc -l)
if [ "$changes" -ge 2 ] && [ "$restart_entries" -ge 1 ]; then
	pass "3. journalctl -u pkwatchdogd KITE=$KITE: $changes state changes ($steps); MESSAGE_ID=$MSG_RESTART: $restart_entries entries"
else
	fail "3. journal: $changes state changes for KITE=$KITE, $restart_entries entries with MESSAGE_ID=$MSG_RESTART"
	journal -o verbose KITE="$KITE" | tail -40 | sed 's/^/    /'
fi

# --- 4. reload ---------------------------------------------------------------------------

PID_BEFORE=$(prop pkwatchdogd MainPID)
cp "$R/etc/pkwatchdogd/pkwatchdogd.toml" "$WORK/good.toml"
printf '[probe]\ninterval = "banana"\nno_such_key = 1\n' >>"$R/etc/pkwatchdogd/pkwatchdogd.toml"
rejected() { journal | grep -q 'config reload rejected'; }
reloaded() { journal | grep -q 'config reloaded'; }
ok4=1
inside systemctl reload pkwatchdogd || { ok4=0; say "systemctl reload (broken config) failed"; }
if ! wait_for 10 "the broken config to be rejected" rejected; then ok4=0; fi
if [ "$(prop pkwatchdogd ActiveState)" != active ] || [ "$(prop pkwatchdogd MainPID)" != "$PID_BEFORE" ]; then
	ok4=0
	say "pkwatchdogd did not survive a broken config"
fi
write_config 5s
inside systemctl reload pkwatchdogd || { ok4=0; say "systemctl reload (fixed config) failed"; }
if ! wait_for 10 "the fixed config to be applied" reloaded; then ok4=0; fi
if [ "$ok4" = 1 ] && [ "$(prop pkwatchdogd ActiveState)" = active ] && [ "$(prop pkwatchdogd MainPID)" = "$PID_BEFORE" ]; then
	pass "4. reload: broken config rejected, old one kept (PID $PID_BEFORE); fixed config applied"
else
	fail "4. reload: rejected=$(rejected && echo yes || echo no) reloaded=$(reloaded && echo yes || echo no) state=$(prop pkwatchdogd ActiveState) PID $PID_BEFORE → $(prop pkwatchdogd MainPID)"
fi

# --- 5. the systemd watchdog ----------------------------------------------------------

# The test hook (in the testhooks build only) wedges the kite's loop
# after its first probe; the daemon's monitor calls it stale after its
# busy limit (96 s with this config) and stops pinging; WatchdogSec=10s
# then gets pkwatchdogd killed.
mkdir -p "$R/etc/systemd/system/pkwatchdogd.service.d" "$R/usr/local/lib/pkwatchdogd-e2e"
cp "$WORK/pkwatchdogd-testhooks" "$R/usr/local/lib/pkwatchdogd-e2e/pkwatchdogd"
cat >"$R/etc/systemd/system/pkwatchdogd.service.d/wedge.conf" <<EOF
[Service]
ExecStart=
ExecStart=/usr/local/lib/pkwatchdogd-e2e/pkwatchdogd run --config /etc/pkwatchdogd/pkwatchdogd.toml
Environment=PKWATCHDOGD_TEST_WEDGE=$KITE
WatchdogSec=10s
EOF
inside systemctl daemon-reload
W0=$(prop pkwatchdogd NRestarts)
inside systemctl restart pkwatchdogd || say "systemctl restart pkwatchdogd failed"
watchdog_fired() { local n; n=$(prop pkwatchdogd NRestarts); [ "${n:-0}" -gt "$W0" ] && journal | grep -q 'Watchdog timeout'; }
if wait_for 150 "the systemd watchdog to kill pkwatchdogd" watchdog_fired; then
	stale=$(journal | grep -c 'loops stale' || true)
	pass "5. wedged loop: pkwatchdogd stopped pinging ($stale 'loops stale' entries), systemd said Watchdog timeout, NRestarts $W0 → $(prop pkwatchdogd NRestarts)"
else
	fail "5. no watchdog restart: NRestarts $W0 → $(prop pkwatchdogd NRestarts), Watchdog timeout in journal: $(journal | grep -c 'Watchdog timeout' || true)"
fi
rm -rf "$R/etc/systemd/system/pkwatchdogd.service.d"

# --- summary ---------------------------------------------------------------------------

check_package
summary
[ "$FAILED" = 0 ]
