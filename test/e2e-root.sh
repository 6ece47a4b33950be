#!/bin/bash
# e2e-root.sh: build (once) and cache the Debian bookworm root that
# e2e-systemd.sh boots under systemd-nspawn. Prints the root's path.
#
# The cache lives under $PKWD_E2E_CACHE (default /var/cache/pkwatchdogd-e2e),
# keyed by a hash of everything that goes into it, so a rerun reuses it and a
# change to the package list builds a new one. Needs root and the network
# (the Debian mirror apt already uses here).
set -euo pipefail

suite=bookworm
include=systemd,systemd-sysv,dbus
extra="pagekite python3 procps man-db"
cache=${PKWD_E2E_CACHE:-/var/cache/pkwatchdogd-e2e}

log() { printf 'e2e-root: %s\n' "$*" >&2; }

mirror() {
	local uri
	uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	if [ -z "$uri" ]; then
		uri=$(awk '$1 == "deb" && $2 !~ /^\[/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
	fi
	echo "${uri:-http://deb.debian.org/debian}"
}

need_tools() {
	local missing=()
	command -v debootstrap >/dev/null || missing+=(debootstrap)
	command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 ||
			{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; }
	fi
}

main() {
	[ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
	need_tools
	local m key root
	m=$(mirror)
	key=$(printf '%s\n' "$suite" "$include" "$extra" "$m" | sha256sum | cut -c1-16)
	root=$cache/root-$key
	if [ -f "$root/.pkwd-complete" ]; then
		echo "$root"
		return
	fi
	mkdir -p "$cache"
	# One builder at a time; a half-built root from an interrupted run is discarded.
	exec 9>"$cache/.lock"
	flock 9
	if [ -f "$root/.pkwd-complete" ]; then
		echo "$root"
		return
	fi
	rm -rf "$root" "$root.tmp"
	log "debootstrap $suite from $m into $root (about a minute)"
	debootstrap --variant=minbase --include="$include" "$suite" "$root.tmp" "$m" >"$cache/debootstrap.log" 2>&1 ||
		{ log "debootstrap failed, see $cache/debootstrap.log"; tail -20 "$cache/debootstrap.log" >&2; exit 1; }
	cp /etc/resolv.conf "$root.tmp/etc/resolv.conf"
	log "installing $extra inside"
	chroot "$root.tmp" sh -c "export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q --no-install-recommends $extra && apt-get clean" >"$cache/chroot-apt.log" 2>&1 ||
		{ log "apt-get inside failed, see $cache/chroot-apt.log"; tail -20 "$cache/chroot-apt.log" >&2; exit 1; }
	# The stock pagekite.service must not start before the test configures it.
	chroot "$root.tmp" systemctl disable pagekite.service >/dev/null 2>&1 || true
	touch "$root.tmp/.pkwd-complete"
	mv "$root.tmp" "$root"
	echo "$root"
}

main "$@"
