# strata — plain GNU make, no configure step.
#   make            build ./strata
#   make test       unit + end-to-end + conformance tests, ends with "N passed, N failed"
#   make SAN=1 ...  the same with ASan + UBSan
#   make deps       install missing Debian packages (root) or print the command
#   make demo       build the busybox base and samples/hello end to end
#   make bench      time strata on ../shared/bench recipes (hyperfine)

Q := $(if $(V),,@)
PKGS := libarchive libcrypto libzstd libcjson libcurl zlib
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

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wvla -Wpointer-arith -Wwrite-strings -Wimplicit-fallthrough -fno-common
CPPFLAGS += -D_GNU_SOURCE -I. -include formats/core/banned.h
CFLAGS ?= $(OPT) -g
CFLAGS += -std=c11 $(WARN) $(SANFLAGS) -pthread $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread
LDFLAGS += $(SANFLAGS)

LIB_SRC := $(wildcard formats/core/*.c formats/*.c store/*.c builder/*.c)
LIB_SRC := $(filter-out builder/main.c,$(LIB_SRC))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
BIN := $(if $(filter 1,$(SAN)),strata-san,strata)

all: $(BIN)

$(BIN): $(BUILD)/builder/main.o $(LIB_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/unit-tests: $(UNIT_OBJ) $(LIB_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The sandbox test helper is static so it runs inside a scratch rootfs.
$(BUILD)/tinit: tests/helpers/tinit.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -o $@ $<

TEST_ENV = STRATA_BIN=$(CURDIR)/$(BIN) STRATA_UNIT=$(CURDIR)/$(BUILD)/unit-tests \
           STRATA_TINIT=$(CURDIR)/$(BUILD)/tinit STRATA_SAN=$(SAN)

# `make test` first installs what is missing (tests/deps.sh), then builds and runs.
test:
	@tests/deps.sh
	@$(MAKE) --no-print-directory test-run

test-run: $(BIN) $(BUILD)/unit-tests $(BUILD)/tinit
	@$(TEST_ENV) tests/run.sh all

unit: $(BIN) $(BUILD)/unit-tests
	@$(TEST_ENV) tests/run.sh unit

e2e: $(BIN) $(BUILD)/unit-tests $(BUILD)/tinit
	@$(TEST_ENV) tests/run.sh e2e

deps:
	@tests/deps.sh

demo: $(BIN)
	@samples/demo.sh

bench: $(BIN)
	@tests/bench/run.sh

lint:
	@tests/lint.sh

clean:
	rm -rf build build-san strata strata-san

.PHONY: all test test-run unit e2e deps demo bench lint clean

-include $(LIB_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(BUILD)/builder/main.d
