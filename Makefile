# exaudit build. Plain GNU make: sources are discovered by directory, so a new
# module is a new file, never a Makefile edit.
#
#   make            build/exaudit, build/exaudit-lab, build/mkevidence
#   make test       build and run every test (unit, end-to-end); prints "N passed, N failed"
#   make asan-test  the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz       libFuzzer harnesses (clang) into build-fuzz/
#   make fuzz-smoke run each harness for FUZZ_SECONDS
#   make demo       install deps (when root), build, run the lab, scan it, write a report
#   make deps       install missing Debian build dependencies (root) or print the command

BUILD   ?= build
CC      ?= cc
SAN     ?=
PKGS    := libcurl openssl yara sqlite3 libevtx libregf libarchive libpcre2-8 jansson

ifneq ($(wildcard /usr/bin/pkg-config),)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
endif

OPT      ?= -O2
CSTD     := -std=c17 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2 -Wvla -Wno-format-truncation -Wno-unknown-warning-option
CFLAGS   ?= $(OPT) -g
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) -Ilib -I$(BUILD)/gen $(PKG_CFLAGS) -MMD -MP
LDLIBS   := $(PKG_LIBS) -lpthread -lm

ifeq ($(SAN),1)
  CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC   := $(sort $(shell find lib -name '*.c'))
CLI_SRC   := $(sort $(wildcard src/*.c))
LAB_SRC   := $(sort $(wildcard tests/lab/*.c))
MKEV_SRC  := $(sort $(shell find tools/mkevidence -name '*.c' 2>/dev/null))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_SUP  := $(sort $(filter-out tests/unit/test_%,$(wildcard tests/unit/*.c)))

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/kb_data.o
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
LAB_OBJ   := $(LAB_SRC:%.c=$(BUILD)/obj/%.o)
MKEV_OBJ  := $(MKEV_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_SOBJ := $(UNIT_SUP:%.c=$(BUILD)/obj/%.o)

LIBEX := $(BUILD)/libexaudit.a
BINS  := $(BUILD)/exaudit $(if $(LAB_SRC),$(BUILD)/exaudit-lab) $(if $(MKEV_SRC),$(BUILD)/mkevidence)

.PHONY: all test asan-test check fuzz fuzz-smoke demo deps clean format bench
all: $(BINS) $(BUILD)/kb.bundle catalogs

# --- knowledge base: data/*.tsv validated and compiled into C tables -------------
KBGEN_SRC := tools/kbgen.c lib/version.c lib/kb_parse.c lib/kb_product.c lib/hash.c
KB_DATA   := $(sort $(wildcard data/kb/*.tsv))

$(BUILD)/kbgen: $(KBGEN_SRC) lib/kb.h lib/kb_parse.h lib/version.h
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O1 -g -Ilib -o $@ $(KBGEN_SRC) -lcrypto

$(BUILD)/gen/kb_data.c: $(BUILD)/kbgen $(KB_DATA)
	@mkdir -p $(@D)
	$(BUILD)/kbgen --c data/kb > $@.tmp && mv $@.tmp $@

$(BUILD)/kb.bundle: $(BUILD)/kbgen $(KB_DATA)
	$(BUILD)/kbgen --bundle data/kb > $@.tmp && mv $@.tmp $@

# --- objects ---------------------------------------------------------------------
$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: %.c | $(BUILD)/gen/kb_data.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBEX): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/exaudit: $(CLI_OBJ) $(LIBEX)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBEX) $(LDLIBS)

$(BUILD)/exaudit-lab: $(LAB_OBJ) $(LIBEX)
	$(CC) $(LDFLAGS) -o $@ $(LAB_OBJ) $(LIBEX) $(LDLIBS)

$(BUILD)/mkevidence: $(MKEV_OBJ) $(LIBEX)
	$(CC) $(LDFLAGS) -o $@ $(MKEV_OBJ) $(LIBEX) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_SOBJ) $(LIBEX)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(UNIT_SOBJ) $(LIBEX) $(LDLIBS)

# --- translations (gettext) ---------------------------------------------------------
PO_FILES := $(wildcard po/*.po)
MO_FILES := $(PO_FILES:po/%.po=$(BUILD)/locale/%/LC_MESSAGES/exaudit.mo)
catalogs: $(MO_FILES)
$(BUILD)/locale/%/LC_MESSAGES/exaudit.mo: po/%.po
	@mkdir -p $(@D)
	msgfmt --check -o $@ $<

# --- tests -------------------------------------------------------------------------
test: all $(UNIT_BIN)
	@BUILD=$(BUILD) tests/run.sh

asan-test:
	$(MAKE) BUILD=build-asan SAN=1 test

check: test

# --- fuzzing (clang + libFuzzer) -------------------------------------------------------
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SECONDS ?= 15
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
	  LDFLAGS="-fsanitize=address,undefined" build-fuzz/libexaudit.a
	$(MAKE) BUILD=build-fuzz CC=clang fuzz-bins

fuzz-bins: $(FUZZ_BIN)
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c build-fuzz/libexaudit.a
	clang $(CSTD) $(WARN) -O1 -g -Ilib -Ibuild-fuzz/gen $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
	  -o $@ $< build-fuzz/libexaudit.a $(LDLIBS)

fuzz-smoke: fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

# --- demo, deps, bench ----------------------------------------------------------------
deps:
	@scripts/install-deps.sh

demo:
	@scripts/install-deps.sh
	$(MAKE) all
	@scripts/demo.sh

bench: all
	@bench/run.sh

format:
	clang-format -i $$(find lib src tests tools bench -name '*.[ch]')

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
