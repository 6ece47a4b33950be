#!/usr/bin/env bash
# py32.sh: the 32-bit CPython test beds of internal/pymem (issue #32),
# under $PKWATCHDOGD_PY32_DIR (default /var/cache/pkwatchdogd-py32):
#   i386/         Debian's i386 python3.11 and what it links, unpacked from
#                 their .debs (apt refuses to install python3.11:i386 beside
#                 the amd64 one), and i386/python3.11, a wrapper that runs
#                 it through the folder's own ld-linux.so.2: a real 32-bit
#                 process on this kernel, for the reader to read. Only on an
#                 amd64 or i386 machine.
#   armhf/usr/bin/python3.11
#                 the armhf python3.11's ELF file alone, for its symbols
#                 (qemu-user is no test bed for a memory reader: the guest's
#                 addresses are not the host's).
# Quick when done already; dpkg --add-architecture and apt-get update run
# only when missing. Needs root the first time (dpkg, apt).
set -euo pipefail

dir=${PKWATCHDOGD_PY32_DIR:-/var/cache/pkwatchdogd-py32}
# What makes `import threading, faulthandler` work: the interpreter and its
# minimal stdlib, and the libraries it links (readelf -d: libc, libm, libz,
# libexpat; libgcc_s is what glibc loads when a thread exits).
i386_debs=(python3.11-minimal libpython3.11-minimal libc6 zlib1g libexpat1 libgcc-s1)

fail() { echo "py32: FAIL: $*" >&2; exit 1; }

host=$(dpkg --print-architecture)
want_i386=""
case "$host" in amd64 | i386) want_i386=1 ;; esac

i386_ok() { [ -x "$dir/i386/python3.11" ] && "$dir/i386/python3.11" -c 'import threading, faulthandler' 2>/dev/null; }
armhf_ok() { [ -s "$dir/armhf/usr/bin/python3.11" ]; }

if { [ -z "$want_i386" ] || i386_ok; } && armhf_ok; then
	exit 0
fi
[ "$(id -u)" = 0 ] || fail "setting up $dir needs root (dpkg --add-architecture, apt-get download)"

# foreign adds a dpkg architecture where it is missing; updated says
# whether apt-get update ran in this run (at most once).
updated=""
foreign() {
	[ "$1" = "$host" ] && return 0
	dpkg --print-foreign-architectures | grep -qx "$1" && return 0
	echo "py32: dpkg --add-architecture $1"
	dpkg --add-architecture "$1"
}
update() {
	[ -n "$updated" ] && return 1
	echo "py32: apt-get update"
	apt-get update -qq
	updated=1
}
# download fetches the .debs named (pkg:arch) into the current folder,
# after an apt-get update when apt does not know them or its lists are
# stale (a superseded .deb is gone from the mirror).
download() {
	if ! apt-cache show "$@" >/dev/null 2>&1; then
		update || true
	fi
	# -o APT::Sandbox::User=root: apt's _apt user cannot write here.
	apt-get download -qq -o APT::Sandbox::User=root "$@" >/dev/null 2>&1 && return 0
	update || fail "apt-get download $*"
	apt-get download -qq -o APT::Sandbox::User=root "$@" >/dev/null || fail "apt-get download $*"
}

mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ -n "$want_i386" ] && ! i386_ok; then
	foreign i386
	mkdir -p "$tmp/i386.deb" "$tmp/i386"
	(cd "$tmp/i386.deb" && download "${i386_debs[@]/%/:i386}")
	for d in "$tmp"/i386.deb/*.deb; do dpkg-deb -x "$d" "$tmp/i386"; done
	# The folder is moved into place below: the wrapper finds it from its
	# own path, not from where it was built.
	cat >"$tmp/i386/python3.11" <<'EOF'
#!/bin/sh
# Debian's i386 python3.11, unpacked here, run through this folder's own
# dynamic loader (written by test/py32.sh).
d=$(dirname "$(readlink -f "$0")")
exec "$d/lib/i386-linux-gnu/ld-linux.so.2" --library-path "$d/lib/i386-linux-gnu:$d/usr/lib/i386-linux-gnu" "$d/usr/bin/python3.11" "$@"
EOF
	chmod 755 "$tmp/i386/python3.11"
	"$tmp/i386/python3.11" -c 'import threading, faulthandler' ||
		fail "the unpacked i386 python3.11 does not run (import threading, faulthandler)"
	rm -rf "$dir/i386"
	mv "$tmp/i386" "$dir/i386"
	i386_ok || fail "$dir/i386/python3.11 does not run after the move"
	echo "py32: $dir/i386: $("$dir/i386/python3.11" -c 'import sys; print(sys.version.split()[0], sys.maxsize == 2**31 - 1 and "32-bit" or "64-bit")')"
fi

if ! armhf_ok; then
	foreign armhf
	mkdir -p "$tmp/armhf.deb" "$tmp/armhf.x" "$tmp/armhf/usr/bin"
	(cd "$tmp/armhf.deb" && download python3.11-minimal:armhf)
	dpkg-deb -x "$tmp"/armhf.deb/*.deb "$tmp/armhf.x"
	cp "$tmp/armhf.x/usr/bin/python3.11" "$tmp/armhf/usr/bin/python3.11"
	rm -rf "$dir/armhf"
	mv "$tmp/armhf" "$dir/armhf"
	echo "py32: $dir/armhf/usr/bin/python3.11"
fi
