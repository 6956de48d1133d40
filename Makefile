# infx-exec - see README.md.
#
#   make demo       install what is missing, build, and run the main job
#                   against the bundled local Infisical server
#   make check      install what is missing, build both binaries, run the
#                   unit tests and the integration suite against both
#                   (with the container engine cases, tests/test_engine*.py)
#   make container-check  build every target of Dockerfile.shim with podman
#                   and run the images (slow: OpenSSL from source the first
#                   time; run by .ci/run)
#   make            the release binary: static, musl, build/infx-exec
#   make ARCH=arm64 the same for linux/arm64, cross-built on this machine:
#                   build/arm64/infx-exec (ARCH: amd64 or arm64; default
#                   this machine's, whose build stays in build/)
#   make check-arm64  the integration suite against build/arm64/infx-exec,
#                   run under qemu-aarch64-static
#   make dev        a glibc build with ASan + UBSan, build/dev/infx-exec
#   make bench      the benchmarks, written to docs/benchmarks.md
#   make install    build/infx-exec, build/infx-import -> $(DESTDIR)$(BINDIR),
#                   docs/infx-exec.1, docs/infx-import.1 ->
#                   $(DESTDIR)$(MANDIR)/man1 (with ARCH=, that
#                   architecture's binaries)
#
# Our flags come first; CFLAGS, CPPFLAGS and LDFLAGS given by the user are
# appended, so they can add to ours but not silently drop the warnings.
# Knobs: SANITIZER, the dev build's -fsanitize= list (default
# address,undefined; empty: none); WERROR=0 keeps warnings from failing the
# build (default 1: -Werror).

VERSION := $(shell cat VERSION)
# Plain `make` builds the static binaries, whatever rule comes first below.
.DEFAULT_GOAL := all
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
PYTHON ?= /usr/bin/python3
MUSL_CC ?= musl-gcc
DEV_CC ?= gcc
SANITIZER ?= address,undefined
WERROR ?= 1
HOST_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
ARCH ?= $(HOST_ARCH)

WARNINGS := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -Wshadow \
	-Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wcast-qual \
	-Wpointer-arith -Wvla -Wwrite-strings
OUR_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -O2 -g $(WARNINGS) \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -MMD -MP \
	-DINFX_VERSION='"$(VERSION)"'
SAN_FLAGS := $(if $(SANITIZER),-fsanitize=$(SANITIZER) \
	-fno-sanitize-recover=all -fno-omit-frame-pointer)

# Two programs share every module but their main: infx-exec (main.c) and
# the migration tool infx-import (import_main.c).
MAINS := src/main.c src/import_main.c
SRCS := $(filter-out $(MAINS),$(wildcard src/*.c))
LIB_SRCS := $(SRCS)

# The built-in CA roots: Mozilla's set from Debian's ca-certificates source
# package at the version scripts/build-deps.sh pins (never this machine's
# bundle), turned into C by scripts/embed-ca.sh. The prefix holding them is
# kept in build/ca-roots.prefix; read lazily (=), as the file exists only
# once its rule has run.
CA_ROOTS = $(shell cat build/ca-roots.prefix)

# Static builds, one per architecture: scripts/build-deps.sh builds OpenSSL,
# libcurl (with zlib and c-ares) and cJSON from Debian source packages into
# a cache outside the tree; the prefix it printed is kept in
# OUT/deps.prefix. OUT is build/ for this machine's architecture, build/ARCH/
# for another; objects go to OUT/static/.
STATIC_ARCHES := amd64 arm64
# An empty ARCH (an image build's unset TARGETARCH) is this machine's.
override ARCH := $(or $(strip $(ARCH)),$(HOST_ARCH))
ifeq ($(filter $(ARCH),$(STATIC_ARCHES)),)
$(error ARCH=$(ARCH) is not one of: $(STATIC_ARCHES))
endif
out_dir = $(if $(filter $(1),$(HOST_ARCH)),build,build/$(1))
OUT := $(call out_dir,$(ARCH))
# The compiler: musl-gcc here, or for another architecture what Debian's
# musl-gcc wrapper does, with that architecture's cross compiler.
GNU_TYPE_amd64 := x86_64-linux-gnu
GNU_TYPE_arm64 := aarch64-linux-gnu
static_cc = $(if $(filter $(1),$(HOST_ARCH)),$(MUSL_CC),$(GNU_TYPE_$(1))-gcc \
	-specs /usr/lib/$(subst -gnu,-musl,$(GNU_TYPE_$(1)))/musl-gcc.specs)
# Order matters: libcurl needs c-ares, libssl and zlib; libssl needs
# libcrypto. musl's libc holds pthread and dl. --gc-sections drops unused
# code (the libraries are built with -ffunction-sections).
STATIC_LIBS := -lcurl -lcares -lssl -lcrypto -lz -lcjson
STATIC_CFLAGS := -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables

# static_build ARCH,OUT,CC: the rules of one architecture's static build.
define static_build
$(2)/deps.prefix: scripts/build-deps.sh
	@mkdir -p $$(@D)
	scripts/build-deps.sh --arch $(1) | tail -n 1 > $$@.tmp
	test -s $$@.tmp && mv $$@.tmp $$@

# What --version says about this build (src/main.c).
$(2)/static/build_info.h: $(2)/deps.prefix scripts/build-info.sh
	@mkdir -p $$(@D)
	scripts/build-info.sh static $(1) \
		$$(shell cat $(2)/deps.prefix)/share/infx-exec/versions > $$@

$(2)/static/%.o: src/%.c $(2)/deps.prefix
	@mkdir -p $$(@D)
	$(3) $$(OUR_CFLAGS) $$(STATIC_CFLAGS) -I$(2)/static \
		-I$$(shell cat $(2)/deps.prefix)/include $$(CPPFLAGS) $$(CFLAGS) \
		-c $$< -o $$@

$(2)/static/main.o: $(2)/static/build_info.h

$(2)/static/ca_bundle.o: build/gen/ca_bundle.c $(2)/deps.prefix
	@mkdir -p $$(@D)
	$(3) $$(OUR_CFLAGS) $$(STATIC_CFLAGS) -Isrc $$(CPPFLAGS) $$(CFLAGS) \
		-c $$< -o $$@

$(2)/infx-exec $(2)/infx-import: $(2)/%: $(SRCS:src/%.c=$(2)/static/%.o) \
		$(2)/static/ca_bundle.o
$(2)/infx-exec: $(2)/static/main.o
$(2)/infx-import: $(2)/static/import_main.o
$(2)/infx-exec $(2)/infx-import:
	$(3) -static -s -Wl,--gc-sections -o $$@ $$^ \
		-L$$(shell cat $(2)/deps.prefix)/lib $$(STATIC_LIBS) $$(LDFLAGS)
endef
$(foreach a,$(STATIC_ARCHES),$(eval $(call static_build,$(a),$(call out_dir,$(a)),$(call static_cc,$(a)))))

DEV_OBJS := $(SRCS:src/%.c=build/dev/%.o) build/dev/ca_bundle.o
# The same glibc build without sanitizers, for valgrind (the two exclude
# each other).
PLAIN_OBJS := $(SRCS:src/%.c=build/plain/%.o) build/plain/ca_bundle.o
DEV_PKGS := libcurl libcjson openssl
DEV_PKGS_DEB := libcurl4-openssl-dev libssl-dev libcjson-dev
DEV_LIBS = $(shell pkg-config --libs $(DEV_PKGS))

.DELETE_ON_ERROR:
.PHONY: all static dev check lint unit integration demo install uninstall clean \
	deps packages fuzz valgrind bench container-check check-arm64

all: static
static: $(OUT)/infx-exec $(OUT)/infx-import \
	build/$(ARCH)/infx-exec build/$(ARCH)/infx-import

# Every architecture's binaries are also at build/ARCH/ (for this machine's,
# hard links to build/'s), so that a multi-platform image build can name
# them after its TARGETARCH.
build/$(HOST_ARCH)/infx-exec build/$(HOST_ARCH)/infx-import: build/$(HOST_ARCH)/%: build/%
	@mkdir -p $(@D)
	ln -f $< $@
dev: build/dev/infx-exec build/dev/infx-import

deps:
	rm -f $(OUT)/deps.prefix build/ca-roots.prefix
	$(MAKE) $(OUT)/deps.prefix build/ca-roots.prefix

build/ca-roots.prefix: scripts/build-deps.sh
	@mkdir -p $(@D)
	scripts/build-deps.sh --ca-roots | tail -n 1 > $@.tmp
	test -s $@.tmp && mv $@.tmp $@

build/gen/ca_bundle.c: build/ca-roots.prefix scripts/embed-ca.sh
	@mkdir -p $(@D)
	scripts/embed-ca.sh $(CA_ROOTS) > $@

# The glibc builds (dev, plain): --version names Debian's -dev packages.
build/dev/build_info.h build/plain/build_info.h: scripts/build-info.sh \
		$(wildcard /var/lib/dpkg/status)
	@mkdir -p $(@D)
	scripts/build-info.sh shared $(HOST_ARCH) \
		"$(if $(findstring /dev/,$@),$(SANITIZER))" $(DEV_PKGS_DEB) > $@

build/dev/ca_bundle.o build/plain/ca_bundle.o: build/gen/ca_bundle.c
	@mkdir -p $(@D)
	$(DEV_CC) $(OUR_CFLAGS) -Isrc $(CPPFLAGS) $(CFLAGS) -c $< -o $@

build/dev/main.o: build/dev/build_info.h
build/plain/main.o: build/plain/build_info.h

build/dev/%.o: src/%.c
	@mkdir -p $(@D)
	$(DEV_CC) $(OUR_CFLAGS) $(SAN_FLAGS) -Ibuild/dev \
		$(shell pkg-config --cflags $(DEV_PKGS)) $(CPPFLAGS) $(CFLAGS) \
		-c $< -o $@

build/dev/infx-exec: $(DEV_OBJS) build/dev/main.o
	$(DEV_CC) $(SAN_FLAGS) -o $@ $^ $(DEV_LIBS) $(LDFLAGS)

build/dev/infx-import: $(DEV_OBJS) build/dev/import_main.o
	$(DEV_CC) $(SAN_FLAGS) -o $@ $^ $(DEV_LIBS) $(LDFLAGS)

build/plain/%.o: src/%.c
	@mkdir -p $(@D)
	$(DEV_CC) $(OUR_CFLAGS) -Ibuild/plain \
		$(shell pkg-config --cflags $(DEV_PKGS)) $(CPPFLAGS) $(CFLAGS) \
		-c $< -o $@

build/plain/infx-exec: $(PLAIN_OBJS) build/plain/main.o
	$(DEV_CC) -o $@ $^ $(DEV_LIBS) $(LDFLAGS)

# The integration suite's core and semantics under valgrind memcheck: any
# invalid access or leak (on the paths that exit instead of exec) makes
# the run exit 99, which no test expects.
valgrind: build/plain/infx-exec
	INFX_BINARIES="build/plain/infx-exec" INFX_VALGRIND=1 \
		$(PYTHON) -m pytest -q -m "not timing" tests/test_cli.py \
		tests/test_auth.py tests/test_fetch.py tests/test_environment.py \
		tests/test_tls.py tests/test_proxy.py

# What the compiler does not check: banned functions, function length,
# include cycles between modules (scripts/check-src.py).
lint:
	$(PYTHON) scripts/check-src.py

# C unit tests (cmocka), on the dev objects.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/dev/unit/%)

build/dev/unit/%: tests/unit/%.c $(DEV_OBJS)
	@mkdir -p $(@D)
	$(DEV_CC) $(OUR_CFLAGS) $(SAN_FLAGS) -Isrc \
		$(shell pkg-config --cflags $(DEV_PKGS) cmocka) $(CPPFLAGS) \
		$(CFLAGS) -o $@ $^ \
		$(shell pkg-config --libs $(DEV_PKGS) cmocka) $(LDFLAGS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

integration: dev build/infx-exec build/infx-import build/plain/infx-exec
	INFX_BINARIES="build/dev/infx-exec build/infx-exec" \
		$(PYTHON) -m pytest -q tests

# The same suite against the arm64 binary, under user-mode emulation: qemu
# is named explicitly, as the kernel's binfmt_misc may not know it. Tests
# that start no binary are not collected again; those that inspect the
# shim's own process (strace, gdb, /proc/PID/status) are skipped
# (native_only in tests/, listed in README.md).
ARM64_OUT := $(call out_dir,arm64)
ARM64_RUNNER := $(if $(filter arm64,$(HOST_ARCH)),,qemu-aarch64-static)
check-arm64:
	scripts/install-deps.sh build test arm64 qemu
	$(MAKE) ARCH=arm64 static
	INFX_BINARIES="$(ARM64_OUT)/infx-exec" INFX_RUNNER="$(ARM64_RUNNER)" \
		$(PYTHON) -m pytest -q tests

# The entry points of README: each installs the Debian packages it needs
# first (a no-op when they are there), then builds in a second make, so
# that nothing is compiled before its compiler exists.
check:
	scripts/install-deps.sh all
	$(MAKE) lint unit integration valgrind fuzz FUZZ_SECONDS=15
	bench/run.sh --smoke

# Dockerfile.shim built with podman, each target, and each image run
# (tests/test_dockerfile_build.py; deselected in make check).
container-check:
	scripts/install-deps.sh all qemu
	$(PYTHON) -m pytest -q --container-check tests/test_dockerfile_build.py

# Benchmarks (docs/benchmarks.md): start-up against curl, a shell script
# and the Node SDK, size, memory, instructions, many starts at once.
bench:
	scripts/install-deps.sh build arm64
	$(MAKE) build/infx-exec build/infx-import
	$(MAKE) ARCH=arm64 static
	bench/run.sh

# libFuzzer harnesses (clang): the response -> environment step and the
# configuration parser, each run for FUZZ_SECONDS on a corpus seeded from
# the real Infisical responses (../shared/reference/infisical-samples) and
# tests/fuzz/config-seeds. Crashes are saved under build/fuzz/.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
SAMPLES_DIR ?= ../shared/reference/infisical-samples
FUZZ_BINS := build/fuzz/fuzz_response build/fuzz/fuzz_config

build/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) build/gen/ca_bundle.c
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -D_DEFAULT_SOURCE $(WARNINGS) $(FUZZ_FLAGS) -iquote src \
		$(shell pkg-config --cflags $(DEV_PKGS)) -o $@ $^ \
		$(shell pkg-config --libs $(DEV_PKGS))

fuzz: $(FUZZ_BINS)
	@mkdir -p build/fuzz/corpus-response build/fuzz/corpus-config
	cp $(SAMPLES_DIR)/*.json build/fuzz/corpus-response/
	cp tests/fuzz/config-seeds/* build/fuzz/corpus-config/
	@set -e; for t in response config; do \
		echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
		build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
			-max_len=65536 -artifact_prefix=build/fuzz/ \
			-print_final_stats=1 build/fuzz/corpus-$$t \
			2> build/fuzz/fuzz_$$t.log || \
			{ tail -n 60 build/fuzz/fuzz_$$t.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|stat::peak_rss' \
			build/fuzz/fuzz_$$t.log; \
	done

demo:
	scripts/install-deps.sh build test
	$(MAKE) build/infx-exec build/infx-import
	scripts/demo.sh build/infx-exec

packages:
	scripts/install-deps.sh all

install: static
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(OUT)/infx-exec $(DESTDIR)$(BINDIR)/infx-exec
	install -m 0755 $(OUT)/infx-import $(DESTDIR)$(BINDIR)/infx-import
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 docs/infx-exec.1 $(DESTDIR)$(MANDIR)/man1/infx-exec.1
	install -m 0644 docs/infx-import.1 \
		$(DESTDIR)$(MANDIR)/man1/infx-import.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/infx-exec $(DESTDIR)$(BINDIR)/infx-import \
		$(DESTDIR)$(MANDIR)/man1/infx-exec.1 \
		$(DESTDIR)$(MANDIR)/man1/infx-import.1

clean:
	rm -rf build

-include $(wildcard build/*/*.d build/*/*/*.d)
