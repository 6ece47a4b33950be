#!/usr/bin/env bash
# qemu-test.sh: runs the router and Raspberry Pi binaries for real, under
# Debian's qemu-user, against Debian's real pagekite on loopback: for each
# OpenWrt and Debian target of packaging/README.md other than this machine's
# (arm64 = OpenWrt aarch64, armhf = GOARM=6, OpenWrt arm = GOARM=7, OpenWrt
# mipsel_24kc = mipsle softfloat), the release binary (make's own target and
# flags) must
#   1. validate the config,
#   2. check a flying kite (flying) and a kite the relay does not know
#      (kite-down, exit 1),
#   3. run --dry-run through that kite-down to the dry restart of the real
#      pagekite kite process, seen in the status file (last_outcome dry-run),
#      within a bounded time.
# Then the unit tests run natively for a 32-bit target (GOARCH=386, no
# -race): 64-bit atomics and int overflows show there as on 32-bit routers.
#
# Every process started here is ended by PID; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "PASS: $*"; }

command -v pagekite >/dev/null || fail "Debian's pagekite is needed (apt-get install pagekite)"
for q in qemu-aarch64 qemu-arm qemu-mipsel; do
	command -v "$q" >/dev/null || fail "$q is needed (apt-get install qemu-user)"
done

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

# Targets: the make target, and the qemu that runs it (-cpu for the oldest
# CPU each build promises to run on).
targets=(
	"dist/pkwatchdogd-linux-arm64|qemu-aarch64"
	"dist/pkwatchdogd-linux-armhf|qemu-arm -cpu arm1176"
	"dist/pkwatchdogd-openwrt-arm_cortex-a7_neon-vfpv4|qemu-arm -cpu cortex-a7"
	"dist/pkwatchdogd-openwrt-mipsel_24kc|qemu-mipsel -cpu 24Kc"
)
bins=()
for t in "${targets[@]}"; do bins+=("${t%%|*}"); done
make --no-print-directory VERSION="$VERSION" "${bins[@]}" >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
relay_port=$(free_port)
web_port=$(free_port)
secret=s3cret-qemu
name=fly.kite.test
gone=gone.kite.test

# A real relay, a local web server and a real kite, on loopback.
pagekite --clean --isfrontend --ports="$relay_port" --protos=http,raw --rawports=virtual \
	--domain="http,raw-22:*.kite.test:$secret" --nullui --logfile="$work/relay.log" >"$work/relay.out" 2>&1 &
pids+=($!)
python3 -m http.server "$web_port" --bind 127.0.0.1 --directory "$work" >/dev/null 2>&1 &
pids+=($!)
for i in $(seq 1 100); do
	curl -s -m 2 -o /dev/null -H 'Host: ping.pagekite' "http://127.0.0.1:$relay_port/ping" && break
	sleep 0.1
done
pagekite --clean --frontend="127.0.0.1:$relay_port" \
	--service_on="http:$name:127.0.0.1:$web_port:$secret" \
	--keepalive=1800 --nullui --logfile="$work/kite.log" >"$work/kite.out" 2>&1 &
kite=$!
pids+=($kite)
echo "$kite" >"$work/kite.pid"
for i in $(seq 1 300); do
	code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' -H "Host: $name" "http://127.0.0.1:$relay_port/" || true)
	[ "$code" = 200 ] && break
	[ "$i" = 300 ] && fail "the kite did not fly within 30 s"
	sleep 0.1
done
pass "relay on 127.0.0.1:$relay_port, kite $name (pid $kite) flying"

config() { # $1: dir
	cat <<EOF
state_dir = "$1/state"
status_file = "$1/status.json"
log_target = "stderr"
[probe]
interval = "2s"
jitter = 0.1
timeout = "1500ms"
[policy]
failure_threshold = 2
grace_period = "2s"
cooldown = "1m"
min_process_age = "0s"
startup_delay = "0s"
[restart]
method = "signal"
pidfile = "$work/kite.pid"
unit = ""
[report]
enabled = false
[[kite]]
name = "$name"
connect_to = "127.0.0.1:$relay_port"
[[kite]]
name = "$gone"
connect_to = "127.0.0.1:$relay_port"
EOF
}

for t in "${targets[@]}"; do
	bin=${t%%|*}
	read -r -a qemu <<<"${t#*|}"
	label=$(basename "$bin")
	dir="$work/$label"
	mkdir -p "$dir"
	config "$dir" >"$dir/pkwatchdogd.toml"
	run() { timeout 60 "${qemu[@]}" "$bin" "$@"; }

	run validate --config "$dir/pkwatchdogd.toml" >"$dir/validate.out" 2>&1 ||
		fail "$label: validate: $(cat "$dir/validate.out")"
	grep -q "$gone" "$dir/validate.out" || fail "$label: validate does not list $gone"
	pass "$label under ${qemu[*]}: validate"

	set +e
	run check --config "$dir/pkwatchdogd.toml" --json >"$dir/check.json" 2>"$dir/check.err"
	code=$?
	set -e
	[ "$code" = 1 ] || fail "$label: check exit $code, want 1 (one kite down): $(cat "$dir/check.err")"
	python3 - "$dir/check.json" "$name" "$gone" <<'PY' || fail "$label: check verdicts: $(cat "$dir/check.json")"
import json, sys
got = {r["kite"]: r["verdict"] for r in json.load(open(sys.argv[1]))}
want = {sys.argv[2]: "flying", sys.argv[3]: "kite-down"}
sys.exit(0 if got == want else 1)
PY
	pass "$label: check: $name flying, $gone kite-down, exit 1"

	"${qemu[@]}" "$bin" run --config "$dir/pkwatchdogd.toml" --dry-run >"$dir/run.log" 2>&1 &
	daemon=$!
	pids+=($daemon)
	ok=""
	for i in $(seq 1 90); do # 45 s at most
		sleep 0.5
		kill -0 "$daemon" 2>/dev/null || fail "$label: run --dry-run exited: $(tail -5 "$dir/run.log")"
		[ -f "$dir/status.json" ] || continue
		if python3 - "$dir/status.json" "$kite" <<'PY'; then ok=1; break; fi
import json, sys
f = json.load(open(sys.argv[1]))
pk = f.get("pagekites") or []
sys.exit(0 if f.get("dry_run") and any(p.get("last_outcome") == "dry-run" for p in pk) else 1)
PY
	done
	kill "$daemon"
	wait "$daemon" 2>/dev/null || true
	[ -n "$ok" ] || fail "$label: no dry restart in the status file within 45 s: $(cat "$dir/status.json" 2>/dev/null) $(tail -5 "$dir/run.log")"
	kill -0 "$kite" || fail "$label: the dry run signalled the kite"
	pass "$label: run --dry-run: $gone kite-down, dry restart of pid $kite in the status file"
done

# 32-bit: the unit tests, natively (no -race on 386).
GOARCH=386 CGO_ENABLED=0 go test -count=1 -timeout 10m ./... >"$work/go386.out" 2>&1 ||
	{ grep -v '^ok' "$work/go386.out" | tail -40 >&2; fail "GOARCH=386 go test ./..."; }
pass "GOARCH=386 go test ./...: $(grep -c '^ok' "$work/go386.out") packages ok"

# The 386 memory reader on Debian's i386 python3.11 (test/py32.sh) and on
# the 64-bit CPythons: its figures, and proof that TestRead32 ran.
GOARCH=386 CGO_ENABLED=0 go test -count=1 -timeout 5m -v -run '^(TestRead32|TestReadMatchesFaulthandler)$' \
	./internal/pymem >"$work/pymem386.out" 2>&1 ||
	{ tail -40 "$work/pymem386.out" >&2; fail "GOARCH=386 go test -run TestRead32 ./internal/pymem"; }
grep -o 'CPython .* read by a 386 reader: .*' "$work/pymem386.out" | sed 's/^/    /' || true
if grep -q -- '^--- PASS: TestRead32 ' "$work/pymem386.out"; then
	pass "GOARCH=386: pymem reads the i386 and the 64-bit CPythons"
else
	# Skipped (not root, no test/py32.sh bed): a failure under CI.
	[ "${PKWATCHDOGD_REQUIRE_ALL:-}" != 1 ] ||
		fail "GOARCH=386: TestRead32 did not run: $(grep -B1 -- '--- SKIP: TestRead32' "$work/pymem386.out" | head -1)"
	echo "SKIPPED: GOARCH=386 TestRead32: $(grep -B1 -- '--- SKIP: TestRead32' "$work/pymem386.out" | head -1 | sed 's/^ *//')"
fi
