# swarmwatch - see README.md.  `make help` lists the targets.

CC       ?= cc
CLANG    ?= clang
CXX      ?= g++
PKG      ?= pkg-config
PKGS     := libcrypto sqlite3 libevent libcurl inih expat libmaxminddb

VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

SANITIZE ?= 0
WERROR   ?= 0
ifeq ($(CI),true)
WERROR   := 1
endif

WARN := -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes \
        -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wundef \
        -Wcast-align -Wvla -Wimplicit-fallthrough -Wwrite-strings
ifeq ($(WERROR),1)
WARN += -Werror
endif

PKG_CFLAGS := $(shell $(PKG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG) --libs $(PKGS) 2>/dev/null)

BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
               -DSW_VERSION='"$(VERSION)"' -Isrc $(PKG_CFLAGS)

ifeq ($(SANITIZE),1)
BUILD    := build/san
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=all
LDSAN    := -fsanitize=address,undefined
else
BUILD    := build/rel
OPT      := -O2 -g
LDSAN    :=
endif

CFLAGS   ?=
CFLAGS   += $(OPT) $(WARN) $(BASE_CFLAGS)
LDLIBS   := $(PKG_LIBS) -lm -pthread

LIB_SRC  := $(sort $(wildcard src/core/*.c src/proto/*.c src/net/*.c src/dht/*.c \
              src/tracker/*.c src/peer/*.c src/watch/*.c src/count/*.c \
              src/store/*.c src/geo/*.c src/report/*.c))
CMD_SRC  := $(sort $(wildcard src/cmd/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libswarmwatch.a

TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# cmocka's macros trip -Wconversion; tests keep the rest of the warnings.
TEST_CFLAGS := $(OPT) $(filter-out -Wconversion -Wmissing-prototypes,$(WARN)) \
               $(BASE_CFLAGS) -Itests $(shell $(PKG) --cflags cmocka 2>/dev/null) \
               -DSW_SOURCE_DIR='"$(CURDIR)"'
TEST_LIBS := $(shell $(PKG) --libs cmocka 2>/dev/null)

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/%.o)
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=all
FUZZ_SECONDS ?= 30

.PHONY: all deps check test unit integration demo fuzz fuzz-build bench fmt clean help install

all: swarmwatch

help:
	@echo "make            build ./swarmwatch"
	@echo "make deps       install the Debian packages (scripts/deps.sh)"
	@echo "make check      install what is missing, build, run every test"
	@echo "make demo       install what is missing, build, run the demo"
	@echo "make fuzz       build the libFuzzer targets and run each FUZZ_SECONDS (30)"
	@echo "make bench      run the benchmarks (results: docs/benchmarks.md)"
	@echo "make fmt        clang-format the sources"
	@echo "make SANITIZE=1 ASan+UBSan build; WERROR=1 adds -Werror"

deps:
	@bash scripts/deps.sh

# ./swarmwatch is shared by both flavours: relink whenever the flavour
# changes, or a plain `make` after `make check` would keep the ASan build.
LAST_FLAVOUR := $(shell cat build/.swarmwatch-flavour 2>/dev/null)
ifneq ($(LAST_FLAVOUR),$(BUILD))
.PHONY: swarmwatch
endif

swarmwatch: $(CMD_OBJ) $(LIB)
	$(CC) $(OPT) $(LDSAN) -o $@ $(CMD_OBJ) $(LIB) $(LDLIBS)
	@echo $(BUILD) >build/.swarmwatch-flavour

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(LDSAN) -MMD -MP -o $@ $< $(LIB) $(TEST_LIBS) $(LDLIBS)

unit: $(TEST_BIN)

# `make check` is the one test command (README.md and .ci/run use it).  It
# builds with ASan+UBSan unless CHECK_SANITIZE=0, so every test run is also
# a memory-safety and leak check.
CHECK_SANITIZE ?= 1
CHECK_BUILD := $(if $(filter 1,$(CHECK_SANITIZE)),build/san,build/rel)
check: deps
	@$(MAKE) --no-print-directory SANITIZE=$(CHECK_SANITIZE) swarmwatch unit
	@BUILD=$(CHECK_BUILD) bash tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory swarmwatch
	@bash scripts/demo.sh

build/fuzz/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(BASE_CFLAGS) -MMD -MP -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $(BASE_CFLAGS) -MMD -MP -o $@ $< $(FUZZ_LIB_OBJ) $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZ_BIN)

bench: deps
	@$(MAKE) --no-print-directory swarmwatch
	@bash bench/run.sh

fmt:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'bench/*.c' 'bench/*.cpp')

clean:
	rm -rf build swarmwatch

# Keep object files that only fuzz targets use (make would delete them).
.SECONDARY: $(FUZZ_LIB_OBJ)

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(TEST_BIN:=.d) $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_BIN:=.d)
