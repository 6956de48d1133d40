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
#   make dev        a glibc build with ASan + UBSan, build/dev/infx-exec
#   make bench      the benchmarks, written to docs/benchmarks.md
#   make install    build/infx-exec, build/infx-import -> $(DESTDIR)$(BINDIR),
#                   docs/infx-exec.1, docs/infx-import.1 ->
#                   $(DESTDIR)$(MANDIR)/man1
#
# Our flags come first; CFLAGS, CPPFLAGS and LDFLAGS given by the user are
# appended, so they can add to ours but not silently drop the warnings.

VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
PYTHON ?= /usr/bin/python3
MUSL_CC ?= musl-gcc
DEV_CC ?= gcc

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wcast-qual -Wpointer-arith -Wvla -Wwrite-strings
OUR_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -O2 -g $(WARNINGS) \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -MMD -MP \
	-DINFX_VERSION='"$(VERSION)"'
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

# Two programs share every module but their main: infx-exec (main.c) and
# the migration tool infx-import (import_main.c).
MAINS := src/main.c src/import_main.c
SRCS := $(filter-out $(MAINS),$(wildcard src/*.c))
LIB_SRCS := $(SRCS)

# Static dependencies: scripts/build-deps.sh builds OpenSSL, libcurl and
# cJSON from Debian source packages into a cache outside the tree; the
# prefix it printed is kept in build/deps.prefix. Read lazily (=): the file
# exists only once its rule has run.
DEPS_PREFIX = $(shell cat build/deps.prefix)
# The CA roots built into the binary, from Debian's ca-certificates.
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt

STATIC_OBJS := $(SRCS:src/%.c=build/static/%.o) build/static/ca_bundle.o
# Order matters: libcurl needs libssl, which needs libcrypto. musl's libc
# holds pthread and dl. --gc-sections drops unused code (the libraries are
# built with -ffunction-sections).
STATIC_LIBS = -L$(DEPS_PREFIX)/lib -lcurl -lssl -lcrypto -lcjson
STATIC_CFLAGS := -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables

DEV_OBJS := $(SRCS:src/%.c=build/dev/%.o) build/dev/ca_bundle.o
# The same glibc build without sanitizers, for valgrind (the two exclude
# each other).
PLAIN_OBJS := $(SRCS:src/%.c=build/plain/%.o) build/plain/ca_bundle.o
DEV_PKGS := libcurl libcjson openssl
DEV_LIBS = $(shell pkg-config --libs $(DEV_PKGS))

.DELETE_ON_ERROR:
.PHONY: all static dev check lint unit integration demo install uninstall clean \
	deps packages fuzz valgrind bench container-check

all: static
static: build/infx-exec build/infx-import
dev: build/dev/infx-exec build/dev/infx-import

build/deps.prefix: scripts/build-deps.sh
	@mkdir -p build
	scripts/build-deps.sh | tail -n 1 > $@.tmp
	test -s $@.tmp && mv $@.tmp $@

deps:
	rm -f build/deps.prefix
	$(MAKE) build/deps.prefix

build/gen/ca_bundle.c: $(CA_BUNDLE) scripts/embed-ca.sh
	@mkdir -p $(@D)
	scripts/embed-ca.sh $(CA_BUNDLE) > $@

build/static/ca_bundle.o: build/gen/ca_bundle.c build/deps.prefix
	$(MUSL_CC) $(OUR_CFLAGS) $(STATIC_CFLAGS) -Isrc -c $< -o $@

build/dev/ca_bundle.o: build/gen/ca_bundle.c
	@mkdir -p $(@D)
	$(DEV_CC) $(OUR_CFLAGS) -Isrc -c $< -o $@

build/static/%.o: src/%.c build/deps.prefix
	@mkdir -p $(@D)
	$(MUSL_CC) $(OUR_CFLAGS) $(STATIC_CFLAGS) -I$(DEPS_PREFIX)/include \
		$(CPPFLAGS) $(CFLAGS) -c $< -o $@

build/infx-exec: $(STATIC_OBJS) build/static/main.o
	$(MUSL_CC) -static -s -Wl,--gc-sections -o $@ $^ $(STATIC_LIBS) \
		$(LDFLAGS)

build/infx-import: $(STATIC_OBJS) build/static/import_main.o
	$(MUSL_CC) -static -s -Wl,--gc-sections -o $@ $^ $(STATIC_LIBS) \
		$(LDFLAGS)

build/dev/%.o: src/%.c
	@mkdir -p $(@D)
	$(DEV_CC) $(OUR_CFLAGS) $(SAN_FLAGS) \
		$(shell pkg-config --cflags $(DEV_PKGS)) $(CPPFLAGS) $(CFLAGS) \
		-c $< -o $@

build/dev/infx-exec: $(DEV_OBJS) build/dev/main.o
	$(DEV_CC) $(SAN_FLAGS) -o $@ $^ $(DEV_LIBS) $(LDFLAGS)

build/dev/infx-import: $(DEV_OBJS) build/dev/import_main.o
	$(DEV_CC) $(SAN_FLAGS) -o $@ $^ $(DEV_LIBS) $(LDFLAGS)

build/plain/%.o: src/%.c
	@mkdir -p $(@D)
	$(DEV_CC) $(OUR_CFLAGS) $(shell pkg-config --cflags $(DEV_PKGS)) \
		$(CPPFLAGS) $(CFLAGS) -c $< -o $@

build/plain/ca_bundle.o: build/gen/ca_bundle.c
	@mkdir -p $(@D)
	$(DEV_CC) $(OUR_CFLAGS) -Isrc -c $< -o $@

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

integration: dev static build/plain/infx-exec
	INFX_BINARIES="build/dev/infx-exec build/infx-exec" \
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
	scripts/install-deps.sh all
	$(PYTHON) -m pytest -q --container-check tests/test_dockerfile_build.py

# Benchmarks (docs/benchmarks.md): start-up against curl, a shell script
# and the Node SDK, size, memory, instructions, many starts at once.
bench: static
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
	install -m 0755 build/infx-exec $(DESTDIR)$(BINDIR)/infx-exec
	install -m 0755 build/infx-import $(DESTDIR)$(BINDIR)/infx-import
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

-include $(wildcard build/*/*.d)
