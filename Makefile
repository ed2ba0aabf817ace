# strata — plain GNU make, no configure step.
#   make            build ./strata
#   make test       unit + fuzz seeds + end-to-end + conformance tests, ends with "N passed, N failed"
#   make SAN=1 ...  the same with ASan + UBSan
#   make lint       formatting, layering, include circles, banned functions, shellcheck, the
#                   e2e line lint
#   make fuzz-replay  every fuzz seed corpus through its libFuzzer build (clang)
#   make deps       install missing Debian packages (root) or print the command
#   make demo       install what the demo needs, build, make the busybox base, build samples/hello
#   make man        the man pages (build/man/*.1, with scdoc)
#   make install    binary, man pages, bash and zsh completion (PREFIX=/usr/local, DESTDIR)
#   make bench      strata against Buildah and BuildKit on tests/bench/recipes, then the
#                   scaling runs (tests/bench/README.md); make bench-deps installs the peers

Q := $(if $(V),,@)
PKGS := libarchive libcrypto libzstd libcjson libcurl zlib libseccomp
CC ?= cc
ifeq ($(SAN),1)
BUILD := build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g
OPT := -O1
else
BUILD := build
SANFLAGS :=
OPT := -O2
endif

# As git does, the user's CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS (e.g. `make CFLAGS=-O0`) only
# add to the project's own flags: the language level, the warnings and the libraries stay.
# Warnings are errors with DEVELOPER=1 (set by .ci/run), not for people building a release.
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wvla -Wpointer-arith -Wwrite-strings -Wimplicit-fallthrough -fno-common
ifeq ($(DEVELOPER),1)
WARN += -Werror
endif
CFLAGS ?= $(OPT) -g
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl: its headers only, the library is loaded when first needed (formats/curl_lib.h)
PKG_LIBS := $(shell pkg-config --libs $(filter-out libcurl,$(PKGS)) 2>/dev/null)
# No -include for banned.h: each .c file includes it last, so that a banned call fails to
# compile (see formats/core/banned.h; make lint checks it).
ALL_CPPFLAGS = -D_GNU_SOURCE -I. $(CPPFLAGS)
ALL_CFLAGS = -std=c11 $(WARN) $(SANFLAGS) -pthread $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
ALL_LDLIBS = $(PKG_LIBS) -pthread $(LDLIBS)

LIB_SRC := $(wildcard formats/core/*.c formats/*.c store/*.c builder/recipe/*.c \
             builder/sandbox/*.c builder/engine/*.c builder/cli/*.c)
LIB_SRC := $(filter-out builder/cli/main.c,$(LIB_SRC))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/help_text.o
# --help texts come from the man pages (one source, see man/scd2help.awk)
MAN_SRC := $(sort $(wildcard man/*.scd))
GEN_HELP := $(BUILD)/gen/help_text.c
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
BIN := $(if $(filter 1,$(SAN)),strata-san,strata)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(BUILD)/fuzz-replay/%)

all: $(BIN)

$(BIN): $(BUILD)/builder/cli/main.o $(LIB_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(GEN_HELP): $(MAN_SRC) man/scd2help.awk
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)LC_ALL=C awk -f man/scd2help.awk $(MAN_SRC) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/help_text.o: $(GEN_HELP)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/unit-tests: $(UNIT_OBJ) $(LIB_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

# Each fuzz target linked with a small main() that replays its seed corpus (make test).
$(BUILD)/fuzz-replay/%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

# libFuzzer builds with clang: make fuzz; make fuzz-smoke FUZZ_SECONDS=600;
# make fuzz-replay runs every seed corpus once through its libFuzzer build (.ci/run).
# The library is compiled once (fuzzer-no-link) and linked into each target.
FUZZ_SECONDS ?= 30
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 $(WARN) -Wno-unused-command-line-argument $(FUZZ_SAN) \
               -fsanitize=fuzzer-no-link -g -O1 $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_OBJ := $(LIB_SRC:%.c=build-fuzz/%.o) build-fuzz/gen/help_text.o
FUZZ_BINS := $(FUZZ_NAMES:%=build-fuzz/%)

build-fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CLANG   $<"
	$(Q)clang $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

build-fuzz/gen/help_text.o: $(GEN_HELP)
	@mkdir -p $(dir $@)
	@echo "  CLANG   $<"
	$(Q)clang $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_BINS): build-fuzz/%: build-fuzz/tests/fuzz/fuzz_%.o $(FUZZ_OBJ)
	@echo "  FUZZ    $@"
	$(Q)clang $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(ALL_LDLIBS)

fuzz: $(FUZZ_BINS)

fuzz-smoke: fuzz
	@for t in $(FUZZ_NAMES); do \
	  mkdir -p build-fuzz/corpus-$$t; \
	  echo "== $$t ($(FUZZ_SECONDS)s)"; \
	  build-fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 build-fuzz/corpus-$$t \
	    tests/fuzz/corpus/$$t || exit 1; \
	done

fuzz-replay: fuzz
	@STRATA_LIBFUZZER=$(CURDIR)/build-fuzz tests/run.sh libfuzzer

# The sandbox test helper is static so it runs inside a scratch rootfs.
$(BUILD)/tinit: tests/helpers/tinit.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -o $@ $<

TEST_ENV = STRATA_BIN=$(CURDIR)/$(BIN) STRATA_UNIT=$(CURDIR)/$(BUILD)/unit-tests \
           STRATA_TINIT=$(CURDIR)/$(BUILD)/tinit STRATA_SAN=$(SAN) \
           STRATA_FUZZ_REPLAY=$(CURDIR)/$(BUILD)/fuzz-replay

# `make test` first installs what is missing (tests/deps.sh), then builds and runs.
test:
	@tests/deps.sh
	@$(MAKE) --no-print-directory test-run

test-run: $(BIN) $(BUILD)/unit-tests $(BUILD)/tinit $(FUZZ_REPLAY)
	@$(TEST_ENV) tests/run.sh all

unit: $(BIN) $(BUILD)/unit-tests $(BUILD)/tinit
	@$(TEST_ENV) tests/run.sh unit

e2e: $(BIN) $(BUILD)/unit-tests $(BUILD)/tinit
	@$(TEST_ENV) tests/run.sh e2e

deps:
	@tests/deps.sh

# Not "demo: $(BIN)": the demo installs the compiler and libraries before anything is built.
demo:
	@samples/demo.sh

# Man pages: scdoc turns man/strata*.1.scd (also the source of --help) into roff.
MAN_PAGES := $(MAN_SRC:man/%.scd=$(BUILD)/man/%)
man: $(MAN_PAGES)

$(BUILD)/man/%: man/%.scd
	@mkdir -p $(dir $@)
	@command -v scdoc >/dev/null || { echo "make man needs scdoc (apt-get install scdoc)" >&2; exit 1; }
	@echo "  SCDOC   $@"
	$(Q)scdoc < $< > $@.tmp && mv $@.tmp $@

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Debian's zsh reads vendor-completions under /usr, site-functions under /usr/local
ZSHCOMPDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)

install: $(BIN) man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
	  $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/strata
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 completion/strata.bash $(DESTDIR)$(BASHCOMPDIR)/strata
	install -m 0644 completion/_strata $(DESTDIR)$(ZSHCOMPDIR)/_strata

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/strata $(DESTDIR)$(BASHCOMPDIR)/strata $(DESTDIR)$(ZSHCOMPDIR)/_strata \
	  $(MAN_PAGES:$(BUILD)/man/%=$(DESTDIR)$(MANDIR)/man1/%)

bench: $(BIN)
	@tests/bench/run.sh

bench-deps:
	@tests/bench/deps.sh

lint:
	@tests/lint.sh

clean:
	rm -rf build build-san build-fuzz strata strata-san

.PHONY: all fuzz fuzz-smoke fuzz-replay test test-run unit e2e deps demo man install uninstall \
	bench bench-deps lint clean

-include $(FUZZ_SRC:%.c=$(BUILD)/%.d) $(FUZZ_OBJ:.o=.d) $(FUZZ_SRC:%.c=build-fuzz/%.d)
-include $(LIB_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(BUILD)/builder/cli/main.d
.SECONDARY:
