# packaging.mk: install, static release binaries and .deb packages.
# Included by the top-level Makefile, which defines GO, VERSION and LDFLAGS.
#
#   make install     [DESTDIR=] [PREFIX=/usr]: binary, unit, config (kept if present),
#                    manual pages, bash and zsh completion
#   make uninstall   the same files, except the config and the state
#   make dist        static binaries dist/pkwatchdogd-linux-{amd64,arm64,armhf}
#   make deb         dist/pkwatchdogd_VERSION_{amd64,arm64,armhf}.deb (with nfpm)
#   make ipk         dist/pkwatchdogd_VERSION_OPENWRTARCH.ipk for OpenWrt (with nfpm)
#   make packages    both

GO          ?= go
VERSION     ?= dev
LDFLAGS     ?= -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
GCFLAGS     ?=
DESTDIR     ?=
PREFIX      ?= /usr
SYSCONFDIR  ?= /etc
UNITDIR     ?= /lib/systemd/system
DISTDIR     ?= dist
# nfpm 2.46.3 and 2.48.0 need modules the Go proxy does not serve (go.digitalxero.dev);
# 2.41.3 builds.
NFPM        ?= $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.41.3
DEB_ARCHES  := amd64 arm64 armhf
# DEB_ARCHES can be narrowed on the command line: make deb DEB_ARCHES=amd64.
# The Debian version, from VERSION (git describe): v1.2.3 → 1.2.3;
# v1.2.3-4-gabc1234-dirty → 1.2.3+4.gabc1234.dirty (after 1.2.3, before 1.2.4);
# v1.2.3-rc1 → 1.2.3~rc1 (before 1.2.3); anything not starting with N.N (dev,
# a bare commit such as 3ce967d-dirty) → 0~dev, 0~3ce967d+dirty, below every
# release. A bare commit must not pass for a version just because its hash
# starts with a digit.
DEB_VERSION := $(shell printf '%s\n' '$(VERSION)' | sed -E -e 's/^v//' -e '/^[0-9]+\.[0-9]/!s/^/0~/' \
                 -e 's/-(alpha|beta|rc|pre)/~\1/' -e 's/-/+/' -e 's/-/./g')

.PHONY: install uninstall dist deb ipk packages

# goenv_armhf etc.: GOARCH/GOARM for each Debian architecture. armhf is
# GOARM=6, not 7: Raspberry Pi OS's armhf also runs on the ARMv6 Pi 1 and
# Pi Zero (W), whose VFPv2 cannot run a GOARM=7 binary (SIGILL under
# qemu-arm -cpu arm1176); a GOARM=6 one runs on ARMv6, ARMv7 and ARMv8 alike.
goenv_amd64 := GOARCH=amd64
goenv_arm64 := GOARCH=arm64
goenv_armhf := GOARCH=arm GOARM=6

$(DISTDIR)/pkwatchdogd-linux-%: FORCE
	@mkdir -p $(DISTDIR)
	CGO_ENABLED=0 GOOS=linux $(goenv_$*) $(GO) build -trimpath $(GCFLAGS) -ldflags '$(LDFLAGS)' -o $@ ./cmd/pkwatchdogd

.PHONY: FORCE
FORCE:

dist: $(addprefix $(DISTDIR)/pkwatchdogd-linux-,$(DEB_ARCHES))

# deb-doc: what the .deb installs besides the binary and the unit, in the
# forms Debian's policy wants: the manual pages and the changelog gzipped
# with -9n (no name or time stamp: the same bytes every build), the
# copyright file. The changelog's one entry is this build's version, dated
# by its commit.
DEB_DOC     := $(DISTDIR)/deb-doc
DEB_DATE    := $(shell git log -1 --format=%aD 2>/dev/null || date -R)

.PHONY: deb-doc
deb-doc:
	@rm -rf $(DEB_DOC) && mkdir -p $(DEB_DOC)
	gzip -9n -c cmd/pkwatchdogd/man/pkwatchdogd.8 >$(DEB_DOC)/pkwatchdogd.8.gz
	gzip -9n -c cmd/pkwatchdogd/man/pkwatchdogd.toml.5 >$(DEB_DOC)/pkwatchdogd.toml.5.gz
	printf 'pkwatchdogd (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- PageKite <info@pagekite.net>  %s\n' \
	  '$(DEB_VERSION)' '$(VERSION)' '$(DEB_DATE)' | gzip -9n >$(DEB_DOC)/changelog.gz

deb: dist deb-doc
	@for a in $(DEB_ARCHES); do \
	  rm -f $(DISTDIR)/pkwatchdogd_*_$$a.deb; \
	  echo "nfpm: $(DISTDIR)/pkwatchdogd_$(DEB_VERSION)_$$a.deb"; \
	  sed -e "s|@ARCH@|$$a|" -e 's|@VERSION@|$(DEB_VERSION)|' -e "s|@BINARY@|$(DISTDIR)/pkwatchdogd-linux-$$a|" -e "s|@DOC@|$(DEB_DOC)|" \
	    packaging/nfpm.yaml >$(DISTDIR)/nfpm-$$a.yaml && \
	  $(NFPM) package --config $(DISTDIR)/nfpm-$$a.yaml --packager deb \
	    --target $(DISTDIR)/pkwatchdogd_$(DEB_VERSION)_$$a.deb || exit 1; \
	done

# OpenWrt architectures (opkg's names) and the Go target of each: static
# binaries, so one per Go target; MIPS routers have no FPU (softfloat).
IPK_ARCHES  := aarch64_generic aarch64_cortex-a53 arm_cortex-a7_neon-vfpv4 arm_cortex-a9_vfpv3-d16 mipsel_24kc
# IPK_ARCHES can be narrowed on the command line: make ipk IPK_ARCHES=mipsel_24kc.
goenv_openwrt_aarch64_generic          := GOARCH=arm64
goenv_openwrt_aarch64_cortex-a53       := GOARCH=arm64
goenv_openwrt_arm_cortex-a7_neon-vfpv4 := GOARCH=arm GOARM=7
goenv_openwrt_arm_cortex-a9_vfpv3-d16  := GOARCH=arm GOARM=7
goenv_openwrt_mipsel_24kc              := GOARCH=mipsle GOMIPS=softfloat

$(DISTDIR)/pkwatchdogd-openwrt-%: FORCE
	@mkdir -p $(DISTDIR)
	CGO_ENABLED=0 GOOS=linux $(goenv_openwrt_$*) $(GO) build -trimpath $(GCFLAGS) -ldflags '$(LDFLAGS)' -o $@ ./cmd/pkwatchdogd

ipk: $(addprefix $(DISTDIR)/pkwatchdogd-openwrt-,$(IPK_ARCHES))
	@for a in $(IPK_ARCHES); do \
	  rm -f $(DISTDIR)/pkwatchdogd_*_$$a.ipk; \
	  echo "nfpm: $(DISTDIR)/pkwatchdogd_$(DEB_VERSION)_$$a.ipk ($$(stat -c %s $(DISTDIR)/pkwatchdogd-openwrt-$$a) bytes of binary)"; \
	  sed -e "s|@ARCH@|$$a|" -e 's|@VERSION@|$(DEB_VERSION)|' -e "s|@BINARY@|$(DISTDIR)/pkwatchdogd-openwrt-$$a|" \
	    packaging/openwrt/nfpm-ipk.yaml >$(DISTDIR)/nfpm-ipk-$$a.yaml && \
	  $(NFPM) package --config $(DISTDIR)/nfpm-ipk-$$a.yaml --packager ipk \
	    --target $(DISTDIR)/pkwatchdogd_$(DEB_VERSION)_$$a.ipk || exit 1; \
	done

packages: deb ipk

install: $(DISTDIR)/pkwatchdogd-linux-host
	install -D -m 0755 $(DISTDIR)/pkwatchdogd-linux-host $(DESTDIR)$(PREFIX)/bin/pkwatchdogd
	install -D -m 0644 packaging/systemd/pkwatchdogd.service $(DESTDIR)$(UNITDIR)/pkwatchdogd.service
	install -D -m 0644 cmd/pkwatchdogd/man/pkwatchdogd.8 $(DESTDIR)$(PREFIX)/share/man/man8/pkwatchdogd.8
	install -D -m 0644 cmd/pkwatchdogd/man/pkwatchdogd.toml.5 $(DESTDIR)$(PREFIX)/share/man/man5/pkwatchdogd.toml.5
	install -D -m 0644 packaging/completion/pkwatchdogd.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/pkwatchdogd
	install -D -m 0644 packaging/completion/_pkwatchdogd $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_pkwatchdogd
	@if [ "$(PREFIX)" != /usr ]; then \
	  sed -i 's|/usr/bin/pkwatchdogd|$(PREFIX)/bin/pkwatchdogd|' $(DESTDIR)$(UNITDIR)/pkwatchdogd.service; fi
	@if [ "$(SYSCONFDIR)" != /etc ]; then \
	  sed -i 's|/etc/pkwatchdogd/|$(SYSCONFDIR)/pkwatchdogd/|' $(DESTDIR)$(UNITDIR)/pkwatchdogd.service; fi
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/pkwatchdogd
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/pkwatchdogd/pkwatchdogd.toml ]; then \
	  echo "keeping the existing $(DESTDIR)$(SYSCONFDIR)/pkwatchdogd/pkwatchdogd.toml"; \
	else \
	  install -m 0640 configs/pkwatchdogd.toml $(DESTDIR)$(SYSCONFDIR)/pkwatchdogd/pkwatchdogd.toml; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/pkwatchdogd $(DESTDIR)$(UNITDIR)/pkwatchdogd.service \
	  $(DESTDIR)$(PREFIX)/share/man/man8/pkwatchdogd.8 $(DESTDIR)$(PREFIX)/share/man/man5/pkwatchdogd.toml.5 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/pkwatchdogd $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_pkwatchdogd
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/pkwatchdogd/ and /var/lib/pkwatchdogd/ (remove them by hand if wanted)"
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
