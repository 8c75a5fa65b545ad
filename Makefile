# Hearth — build, run and test.
#
#   make run        install what is missing, build, seed the demo, serve
#   make test       install what is missing, build, run every test layer
#   make sanitize   ASan+UBSan build running the unit and HTTP tests
#   make bench      benchmarks (see bench/README.md)
#   make soak       mixed load for SOAK_SECONDS (600): no errors, memory flat
#   make fuzz       libFuzzer on every fuzz/fuzz_*.c target (FUZZ_SECONDS each)
#   make valgrind   unit tests and HTTP cases under valgrind (no leaks)
#
# Plain make with pkg-config; every object goes under build/ (or
# build/san/ for the sanitizer build).

SHELL     := /bin/bash
PKGS      := libmicrohttpd sqlite3 libpq jansson libsodium libargon2 libcrypto liboath libqrencode libxml-2.0 xlsxwriter
CC        ?= cc
OPT       ?= -O2
CFLAGS    := -std=gnu11 $(OPT) -g -Wall -Wextra -Werror -Wshadow -Wvla \
             -Wformat=2 -Wno-format-nonliteral -fno-strict-aliasing \
             -Isrc -Ibuild/gen $(EXTRA_CFLAGS)
DEPS_OK   := build/.deps-ok
NPROC     := $(shell nproc 2>/dev/null || echo 2)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

B         ?= build
SRC       := $(sort $(wildcard src/base/*.c src/store/*.c src/core/*.c src/web/*.c src/cli/*.c))
LIBSRC    := $(filter-out src/cli/main.c,$(SRC))
OBJ       := $(patsubst src/%.c,$(B)/obj/%.o,$(LIBSRC)) \
             $(B)/obj/gen/assets.o $(B)/obj/gen/migrations.o
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

WEB_VENDOR := node_modules/govuk-frontend/dist/govuk
WEB_FILES  = $(sort $(shell find web -type f ! -name '.*' 2>/dev/null))
MIGRATIONS := $(sort $(wildcard migrations/*.sql))

.PHONY: all run test unit http browser sanitize sanitize-build bench soak fuzz fuzz-build valgrind clean deps
all: hearth

$(DEPS_OK): scripts/deps.sh package.json
	@scripts/deps.sh
	@mkdir -p build && touch $@
deps: $(DEPS_OK)

# ---- generated sources --------------------------------------------------
build/embed: tools/embed.c
	@mkdir -p build
	$(CC) -O1 -o $@ $<

# GOV.UK Frontend is copied from npm into web/govuk/ (not committed), then
# everything under web/ is embedded.
web/govuk/.copied: $(DEPS_OK)
	@rm -rf web/govuk && mkdir -p web/govuk
	cp $(WEB_VENDOR)/govuk-frontend.min.css $(WEB_VENDOR)/govuk-frontend.min.js web/govuk/
	cp -r $(WEB_VENDOR)/assets/fonts $(WEB_VENDOR)/assets/images web/govuk/
	cp $(WEB_VENDOR)/assets/manifest.json web/govuk/ 2>/dev/null || true
	@touch $@

build/gen/assets.c: build/embed web/govuk/.copied $(WEB_FILES)
	@mkdir -p build/gen
	build/embed $@ web_assets web $(filter-out %/.copied,$(sort $(shell find web -type f ! -name '.*')))

build/gen/migrations.c: build/embed $(MIGRATIONS)
	@mkdir -p build/gen
	build/embed $@ sql_migrations migrations $(MIGRATIONS)

# ---- objects --------------------------------------------------------------
$(B)/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/obj/%.o: src/%.c $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libhearth.a: $(OBJ)
	ar rcs $@ $^

$(B)/hearth: $(B)/obj/cli/main.o $(B)/libhearth.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

hearth: build/hearth
	cp build/hearth hearth

# ---- tests ----------------------------------------------------------------
$(B)/tests/%: tests/unit/%.c $(B)/libhearth.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itests -MMD -MP -o $@ $< $(B)/libhearth.a $(PKG_LIBS) -lcmocka

# Benchmark programs linked against the library (bench/import.sh builds
# score_bench through this rule, so its libraries are the same as hearth's).
$(B)/bench/%: bench/%.c $(B)/libhearth.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(B)/libhearth.a $(PKG_LIBS)

$(B)/httptest: tests/http/runner.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(PKG_LIBS) -lcurl

unit: $(UNIT_BIN)
	@tests/run-unit.sh $(B)

http: $(B)/hearth $(B)/httptest
	@$(B)/httptest --hearth $(B)/hearth --cases tests/http/cases

browser: build/hearth
	@node tests/browser/run.mjs build/hearth

# The build uses every core (CI's first minute and a half was one); the
# plain unit binaries are not needed: make test runs the unit tests in the
# sanitizer build (tests/run-all.sh says why).
test: $(DEPS_OK)
	@$(MAKE) --no-print-directory -j$(NPROC) build/hearth build/httptest
	@tests/run-all.sh

sanitize: sanitize-build
	@tests/run-all.sh san-unit san-http

sanitize-build: $(DEPS_OK)
	@$(MAKE) --no-print-directory -j$(NPROC) B=build/san OPT=-O1 \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  build/san/hearth build/san/httptest $(patsubst build/%,build/san/%,$(UNIT_BIN))

run: $(DEPS_OK) hearth
	@scripts/run.sh

# ---- fuzzing (libFuzzer via clang) ----------------------------------------
# Every fuzz/fuzz_NAME.c runs for FUZZ_SECONDS against fuzz/corpus/NAME
# (committed seeds); new inputs it finds go to build/fuzz/corpus-NAME.
# fuzz/run-ci.sh builds and runs them all (make test's layer: 5 s each,
# built with FUZZ_OPT=-O0 under build/fuzz-O0: a third of the -O1 build's
# compile time, which was most of that layer's CPU, for about two thirds of
# the executions a second; make fuzz keeps -O1 under build/fuzz).
FUZZ_SECONDS ?= 60
FUZZ_CC      := clang
FUZZ_OPT     ?= -O1
FUZZ_B       ?= build/fuzz
FUZZ_FLAGS   := -std=gnu11 -g $(FUZZ_OPT) -fsanitize=address,undefined -fno-sanitize-recover=undefined -Werror=implicit-function-declaration \
                -Isrc -Ibuild/gen
FUZZ_LIBSRC  := $(filter-out src/web/% src/cli/%,$(LIBSRC))
FUZZ_OBJ     := $(patsubst src/%.c,$(FUZZ_B)/obj/%.o,$(FUZZ_LIBSRC)) \
                $(FUZZ_B)/obj/gen/migrations.o $(FUZZ_B)/obj/gen/assets.o
FUZZ_WEBOBJ  := $(patsubst src/%.c,$(FUZZ_B)/obj/%.o,$(filter src/web/%,$(LIBSRC)))
FUZZ_TARGETS := $(patsubst fuzz/%.c,$(FUZZ_B)/%,$(sort $(wildcard fuzz/fuzz_*.c)))

$(FUZZ_B)/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<

$(FUZZ_B)/obj/%.o: src/%.c $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_B)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -MMD -MP -o $@ $< $(filter %.o,$^) $(PKG_LIBS)

# The web targets: the JSON body parser is in req.c; the router target
# includes route.c itself (to reach its static matcher) and links the rest
# of src/web for the handlers the table names; the form target drives
# upload.c and req.c through real libmicrohttpd connections.
$(FUZZ_B)/fuzz_json: $(FUZZ_B)/obj/web/req.o
$(FUZZ_B)/fuzz_route: $(filter-out %/route.o,$(FUZZ_WEBOBJ))
$(FUZZ_B)/fuzz_form: $(FUZZ_WEBOBJ)

.SECONDARY: $(FUZZ_OBJ) $(FUZZ_WEBOBJ)

fuzz-build: $(DEPS_OK) $(FUZZ_TARGETS)

fuzz: $(DEPS_OK)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_OPT=$(FUZZ_OPT) fuzz/run-ci.sh

# ---- valgrind ----------------------------------------------------------------
# The unit tests and the HTTP cases under valgrind (memcheck, no leaks).
valgrind: $(DEPS_OK)
	@$(MAKE) --no-print-directory build/hearth build/httptest $(UNIT_BIN)
	@tests/run-valgrind.sh

bench: hearth
	@scripts/deps.sh bench
	@bench/run.sh
	@bench/import.sh
	@bench/dashboard/run.sh

soak: hearth
	@scripts/deps.sh soak
	@bench/soak/soak.sh

clean:
	rm -rf build hearth web/govuk

-include $(shell find build -name '*.d' 2>/dev/null)
