#!/usr/bin/env bash
# bench/run.sh: pkwatchdogd's benchmarks (`make bench`). See bench/README.md.
#
#   bash bench/run.sh [footprint] [spread] [cost] [detect] [scale] [flood] [stacks]   (default: all seven)
#
# Builds the release binaries into a temp dir (make dist and the OpenWrt
# binaries: the Makefile's own flags), runs each bench (go test -tags bench,
# real pagekite/curl/grep/monit on 127.0.0.0/8, as root) and prints the
# "BENCH ..." ratio lines. Everything goes to a temp dir, removed at the
# end, except the results file named by BENCH_RESULTS (optional).
# Exit status: 0 when every bench ran and met its target; 1 when a bench
# failed to run; 2 when a target was missed (BENCH_STRICT=0: report only).
# Knobs (environment): BENCH_DETECT_RUNS (10), BENCH_COST_CURL_PROBES (300),
# BENCH_COST_KITES (100), BENCH_COST_WINDOW (20s), BENCH_SCALE_KITES
# (1,100,1000,5000), BENCH_SCALE_INTERVAL (60s), BENCH_SCALE_TIMEOUT (5s),
# BENCH_SCALE_CONCURRENCY (256), BENCH_SCALE_CPU_WINDOW (20s),
# BENCH_MONIT_KITES (100), BENCH_SPREAD_RUNS (5), BENCH_COST_RUNS (3),
# BENCH_FOOTPRINT_INTERVAL (20s), BENCH_FOOTPRINT_WINDOW (60s),
# BENCH_FLOOD_WINDOW (10s), BENCH_FLOOD_BURST (10000), BENCH_STACKS_RUNS (50),
# PKWATCHDOGD_BIN (default: the stripped amd64 release binary built here).
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(footprint spread cost detect scale flood stacks)

tmp=$(mktemp -d /tmp/pkwatchdogd-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp
# A missing prerequisite (pagekite, root, monit) fails the bench, never skips it.
export PKWATCHDOGD_REQUIRE_ALL=1

# The release binaries, as make dist and make ipk build them: the sizes
# bench measures them, and the amd64 one is the daemon every bench runs.
echo "building the release binaries into $tmp/dist"
make -s --no-print-directory dist DISTDIR="$tmp/dist" GO="$GO" >/dev/null
make -s --no-print-directory DISTDIR="$tmp/dist" GO="$GO" \
  "$tmp/dist/pkwatchdogd-openwrt-arm_cortex-a7_neon-vfpv4" "$tmp/dist/pkwatchdogd-openwrt-mipsel_24kc" >/dev/null
export BENCH_DIST=$tmp/dist
if [ -z "${PKWATCHDOGD_BIN:-}" ]; then
  export PKWATCHDOGD_BIN=$tmp/dist/pkwatchdogd-linux-amd64
fi
results=${BENCH_RESULTS:-}
if [ -n "$results" ]; then
  results=$(realpath -m "$results")
  : >"$results"
  echo "# pkwatchdogd bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -srm), $(nproc) CPUs, $("$GO" version | cut -d' ' -f3)" >>"$results"
fi
export BENCH_RESULTS=$results

failed=0
for b in "${benches[@]}"; do
  case $b in
    footprint) test=TestFootprint; limit=5m ;;
    spread) test=TestProbeSpread; limit=2m ;;
    cost) test=TestCostPerProbe; limit=8m ;;
    detect) test=TestDetectionLatency; limit=15m ;;
    scale) test=TestScale; limit=20m ;;
    flood) test=TestMetricsFlood; limit=5m ;;
    stacks) test=TestStacksRead; limit=5m ;;
    *) echo "unknown bench $b (want footprint, spread, cost, detect, scale, flood, stacks)" >&2; exit 1 ;;
  esac
  echo "== $b: go test -tags bench -count=1 -v -run '^$test\$' ./bench/"
  if ! "$GO" test -tags bench -count=1 -v -timeout "$limit" -run "^$test\$" ./bench/ >"$tmp/$b.out" 2>&1; then
    failed=1
    echo "!! $b failed to run; its output:"
    tail -n 40 "$tmp/$b.out"
  fi
  grep '^BENCH ' "$tmp/$b.out" || true
done

echo "== summary"
all=$(cat "$tmp"/*.out | grep '^BENCH ' || true)
echo "$all"
missed=$(echo "$all" | grep -c ' MISSED$' || true)
[ "$failed" = 0 ] || { echo "some bench failed to run"; exit 1; }
if [ "$missed" != 0 ]; then
  echo "$missed target(s) missed"
  [ "${BENCH_STRICT:-1}" = 0 ] || exit 2
fi
