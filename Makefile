# pkwatchdogd: build, test, demo, install, package.
#   make demo   the main job, on loopback: a relay, a kite, a freeze, a restart
#   make test   every test: unit, integration with real pagekite, real systemd

SHELL   := /bin/bash
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# No inlining in the packages a probe does not spend its time in (TLS and
# certificates, compression, regexps, config, logging, formatting, and
# pkwatchdogd's own code): 0.47 MB less binary on amd64 (7.77 -> 7.30 MB)
# at the same CPU per probe (bench cost: 53-60x curl+grep inlined, 54-62x
# not). The runtime, net, syscall, os, io, bufio, net/http and the like
# keep it. bench/README.md has the figures.
NOINLINE := crypto/... vendor/... regexp/... compress/... archive/... math/... mime/... \
            encoding/... fmt time reflect strings text/... os/exec os/user flag log sort \
            hash/... unicode/... net/url debug/... internal/zstd go.uber.org/... github.com/BurntSushi/... \
            github.com/looplab/... github.com/coreos/... github.com/pagekite/...
GCFLAGS := $(foreach p,$(NOINLINE),-gcflags=$(p)=-l)
BIN     := bin/pkwatchdogd

.PHONY: all build test test-go test-ipk test-qemu test-systemd test-lint demo bench deps deps-qemu vet fmt clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath $(GCFLAGS) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/pkwatchdogd

# deps installs what the tests and the demo run for real: Debian's pagekite,
# and for the crash report's stacks gcc (the deadlocked C stand-in for
# pagekitec), elfutils' eu-stack and gdb; for pymem's CPython layouts,
# CPython's headers (libpython3-dev) and what compiles for the 32-bit ABIs:
# gcc -m32 with libc6-dev-i386 (amd64 only; not gcc-multilib, which Debian 12
# will not install beside a cross gcc) and gcc-arm-linux-gnueabihf; for the
# packaging's checks mandoc (the manual pages' lint and rendering), zsh (its
# completion parses), lintian (the .deb) and prometheus (promtool and a real
# server scraping the daemon, for the alert rules and the Grafana
# dashboard's queries); and test/py32.sh's 32-bit CPythons for pymem's reads
# (Debian's i386 python3.11 unpacked to run, the armhf one's ELF file, under
# /var/cache/pkwatchdogd-py32).
LIBC_I386 := $(if $(filter amd64,$(shell dpkg --print-architecture 2>/dev/null)),libc6-dev-i386)
DEPS_PROGRAMS := pagekite gcc eu-stack gdb mandoc zsh lintian prometheus promtool arm-linux-gnueabihf-gcc
DEPS_PACKAGES := pagekite gcc libc6-dev elfutils gdb mandoc zsh lintian prometheus bash-completion \
                 libpython3-dev $(LIBC_I386) gcc-arm-linux-gnueabihf
deps:
	@(for p in $(DEPS_PROGRAMS); do command -v $$p >/dev/null 2>&1 || exit 1; done; \
	  dpkg -s libpython3-dev $(LIBC_I386) >/dev/null 2>&1) || { \
	  echo "installing Debian's $(DEPS_PACKAGES) (needs root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEPS_PACKAGES); }
	@bash test/py32.sh

# deps-qemu installs what test-qemu runs: qemu-user for the router and Pi
# binaries, curl for its checks of the relay.
deps-qemu:
	@command -v qemu-mipsel >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 || { \
	  echo "installing Debian's qemu-user and curl (needs root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user curl; }

test: deps test-go test-lint test-ipk test-qemu test-systemd

# The fault-injection suite runs last and verbose: its table of expected and
# seen restarts and uploads is part of the output.
test-go:
	$(GO) vet ./...
	$(GO) vet -tags bench ./bench
	$(GO) test -race -count=1 -timeout 10m $$($(GO) list ./... | grep -v /internal/faults)
	$(GO) test -race -count=1 -timeout 5m -v -run TestFaults ./internal/faults 2>&1 | \
	  grep -v -e '^=== ' -e '^    logger.go' -e '^        logger.go'; exit $${PIPESTATUS[0]}

# Debian's lintian on the .deb for this machine's architecture: no error, no
# warning (packaging/deb/lintian-overrides says why each override is right).
test-lint: deps
	arch=$$(dpkg --print-architecture) && \
	  $(MAKE) --no-print-directory deb DEB_ARCHES=$$arch VERSION='$(VERSION)' && \
	  lintian --fail-on error,warning dist/pkwatchdogd_$(DEB_VERSION)_$$arch.deb

# The OpenWrt package: built for mipsel_24kc and checked (layout, control,
# modes, the procd init script under a stub procd).
test-ipk:
	bash test/ipk-test.sh

# The router and Raspberry Pi binaries under qemu-user against a real
# relay, and the unit tests for a 32-bit target (GOARCH=386).
test-qemu: deps deps-qemu
	bash test/qemu-test.sh

# The systemd end-to-end test installs the .deb for this machine's architecture.
test-systemd:
	arch=$$(dpkg --print-architecture) && \
	  $(MAKE) --no-print-directory deb DEB_ARCHES=$$arch VERSION='$(VERSION)' && \
	  PKWD_E2E_DEB=dist/pkwatchdogd_$(DEB_VERSION)_$$arch.deb bash test/e2e-systemd.sh

demo: deps build
	bash demo/demo.sh

# The benchmarks compare with the original script's curl + grep and with monit.
bench: deps build
	@command -v monit >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 || { \
	  echo "installing Debian's monit and curl for the comparisons (needs root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq monit curl; }
	bash bench/run.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin dist

-include packaging/packaging.mk
