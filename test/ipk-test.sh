#!/usr/bin/env bash
# ipk-test.sh: builds the OpenWrt .ipk for one architecture (mipsel_24kc,
# the commonest router CPU) and checks what a router would get: the
# archive's layout, paths, modes, control fields and conffiles, the binary's
# ELF machine, the config validating, and the procd init script run under
# a stub of OpenWrt's rc.common/procd shell library.
#
# Limits, said plainly: there is no OpenWrt here to boot. The stub records
# the procd_* calls the init script makes and checks them against procd's
# documented interface (procd_open_instance, procd_set_param command/
# respawn/file/stdout/stderr, procd_close_instance, procd_send_signal);
# it cannot show that procd itself then runs, respawns or signals the
# daemon. The binary is checked to be a static MIPS32 little-endian ELF
# here; test/qemu-test.sh runs it under qemu-mipsel against a real relay.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
ARCH=mipsel_24kc
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "PASS: $*"; }

make --no-print-directory ipk IPK_ARCHES=$ARCH VERSION="$VERSION" >/dev/null
ipk=$(ls dist/pkwatchdogd_*_$ARCH.ipk | head -1)
[ -f "$ipk" ] || fail "no .ipk built"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# OpenWrt's .ipk: a gzipped tar of debian-binary, control.tar.gz, data.tar.gz.
tar -xzf "$ipk" -C "$work"
for m in debian-binary control.tar.gz data.tar.gz; do
	[ -f "$work/$m" ] || fail "$ipk has no $m"
done
[ "$(cat "$work/debian-binary")" = "2.0" ] || fail "debian-binary is not 2.0"
mkdir "$work/control" "$work/data"
tar -xzf "$work/control.tar.gz" -C "$work/control"
tar -xzf "$work/data.tar.gz" -C "$work/data"
pass "layout: debian-binary 2.0, control.tar.gz, data.tar.gz"

field() { sed -n "s/^$1: //p" "$work/control/control"; }
[ "$(field Package)" = pkwatchdogd ] || fail "Package is $(field Package)"
[ "$(field Architecture)" = $ARCH ] || fail "Architecture is $(field Architecture)"
[ -n "$(field Version)" ] || fail "no Version"
[ "$(cat "$work/control/conffiles")" = /etc/pkwatchdogd/pkwatchdogd.toml ] || fail "conffiles: $(cat "$work/control/conffiles")"
for s in postinst prerm; do
	[ -x "$work/control/$s" ] || fail "control has no executable $s"
	sh -n "$work/control/$s" || fail "$s: syntax"
done
pass "control: Package pkwatchdogd, Architecture $ARCH, Version $(field Version), conffiles, postinst/prerm"

mode() { stat -c %a "$work/data/$1"; }
[ "$(mode usr/bin/pkwatchdogd)" = 755 ] || fail "usr/bin/pkwatchdogd mode $(mode usr/bin/pkwatchdogd)"
[ "$(mode etc/init.d/pkwatchdogd)" = 755 ] || fail "etc/init.d/pkwatchdogd mode $(mode etc/init.d/pkwatchdogd)"
[ "$(mode etc/pkwatchdogd/pkwatchdogd.toml)" = 640 ] || fail "config mode $(mode etc/pkwatchdogd/pkwatchdogd.toml)"
cmp -s "$work/data/etc/pkwatchdogd/pkwatchdogd.toml" configs/openwrt.toml || fail "the config is not configs/openwrt.toml"
# ELF: 32-bit (EI_CLASS 1), little-endian (EI_DATA 1), e_machine 8 (MIPS).
hdr=$(od -An -tx1 -N20 "$work/data/usr/bin/pkwatchdogd" | tr -d ' \n')
[ "${hdr:0:8}" = 7f454c46 ] && [ "${hdr:8:2}" = 01 ] && [ "${hdr:10:2}" = 01 ] && [ "${hdr:36:4}" = 0800 ] ||
	fail "usr/bin/pkwatchdogd is not a MIPS32 little-endian ELF (header $hdr)"
# OpenWrt has no man, bash-completion or lintian: none of the .deb's docs.
[ ! -e "$work/data/usr/share" ] || fail "the .ipk has /usr/share: $(cd "$work/data" && find usr/share -type f | tr '\n' ' ')"
size=$(stat -c %s "$work/data/usr/bin/pkwatchdogd")
pass "data: /usr/bin/pkwatchdogd 0755 (MIPS32 LE ELF, $size bytes stripped), /etc/init.d/pkwatchdogd 0755, /etc/pkwatchdogd/pkwatchdogd.toml 0640, no /usr/share (no man pages)"
# What a router downloads and keeps in its flash: at most 3 MiB (#21).
ipk_size=$(stat -c %s "$ipk")
[ "$ipk_size" -le $((3 << 20)) ] || fail "$ipk is $ipk_size bytes, over 3 MiB"
pass "size: $ipk is $ipk_size bytes (<= 3 MiB)"

# The shipped config validates here (its pagekitec may not run here: only
# the config's own problems count).
code=0
out=$(go run ./cmd/pkwatchdogd validate --config configs/openwrt.toml 2>&1) || code=$?
# 0, or an error only because no pagekitec runs and no UCI file exists here.
if [ "$code" != 0 ] && ! echo "$out" | grep -q "no pagekitec runs (none in /proc), and no UCI file"; then
	fail "configs/openwrt.toml does not validate (exit $code): $out"
fi
pass "configs/openwrt.toml validates (pkwatchdogd validate)"

# The init script under a stub rc.common: OpenWrt runs it as
# "/bin/sh /etc/rc.common /etc/init.d/pkwatchdogd start", which sources it
# and calls start_service (USE_PROCD=1).
init="$work/data/etc/init.d/pkwatchdogd"
sh -n "$init" || fail "init script: syntax"
head -1 "$init" | grep -qx '#!/bin/sh /etc/rc.common' || fail "init script: not an rc.common script"
calls="$work/calls"
cat >"$work/stub.sh" <<STUB
procd_open_instance() { echo "open \$*" >>"$calls"; }
procd_set_param() { echo "param \$*" >>"$calls"; }
procd_close_instance() { echo "close" >>"$calls"; }
procd_send_signal() { echo "signal \$*" >>"$calls"; }
STUB
sh -c ". '$work/stub.sh'; . '$init'; [ \"\$USE_PROCD\" = 1 ] && [ \"\$START\" -gt 50 ] && start_service && reload_service" ||
	fail "init script: start_service/reload_service failed under the stub"
expected='open pkwatchdogd
param command /usr/bin/pkwatchdogd run --config /etc/pkwatchdogd/pkwatchdogd.toml
param respawn 3600 5 5
param file /etc/pkwatchdogd/pkwatchdogd.toml
param stdout 1
param stderr 1
close
signal pkwatchdogd pkwatchdogd HUP'
[ "$(cat "$calls")" = "$expected" ] || fail "init script procd calls:
$(cat "$calls")
want:
$expected"
pass "init script: procd instance with command, respawn, file (reload on config change), stdout/stderr to the log; reload sends SIGHUP"

echo "listing of $ipk:"
tar -tzvf "$work/data.tar.gz"
