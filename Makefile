# tarn build. Plain make + pkg-config; sources are found by globbing, so adding a
# file under src/<layer>/ needs no edit here.
#
#   make            build build/tarn and build/libtarn.a (release, -O2)
#   make run        install deps, build, run `tarn demo` on ./tarn-data
#   make test       install deps, build, run every test (+ ASan/UBSan unit pass, fuzz smoke)
#   make asan       ASan+UBSan build in build/asan/
#   make lint       cppcheck over src/
#   make fuzz       build fuzz targets with clang libFuzzer and run each briefly
#   make bench      run bench/run.sh (tarn vs DuckDB)
#   make bench-tpch run bench/tpch.sh (TPC-H from Parquet, tarn vs DuckDB)

CC      ?= cc
PKGS    := zlib libzstd liblz4 snappy libbrotlienc libbrotlidec liblzma libpcre2-8 libedit
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lz -lzstd -llz4 -lsnappy -lbrotlienc -lbrotlidec -llzma -lpcre2-8 -ledit)
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wstrict-prototypes
DEFS    := -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
OPT     ?= -O2 -g
CFLAGS_ALL = $(WARN) $(DEFS) $(OPT) -Iinclude -Isrc $(PKG_CFLAGS) $(CFLAGS)
# libbz2 ships no pkg-config file on Debian 12.
LIBS    := $(PKG_LIBS) -lbz2 -lpthread -lm

B       ?= build
NPROC   := $(shell nproc 2>/dev/null || echo 2)
LIB_SRC := $(sort $(wildcard src/base/*.c src/columnar/*.c src/formats/*.c src/formats/*/*.c src/sql/*.c src/prep/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
UNIT_SRC:= $(sort $(wildcard tests/unit/*.c))
FUZZ_SRC:= $(sort $(wildcard fuzz/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/obj/%.o)
UNIT_BIN:= $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all run test test-fast asan lint fuzz bench bench-tpch clean deps unit print-libs
all: $(B)/tarn $(B)/libtarn.a

deps:
	@scripts/install-deps

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(B)/libtarn.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/tarn: $(CLI_OBJ) $(B)/libtarn.a
	$(CC) $(CFLAGS_ALL) -o $@ $(CLI_OBJ) $(B)/libtarn.a $(LIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/unit.h $(B)/libtarn.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $< $(B)/libtarn.a $(LIBS)

unit: $(UNIT_BIN)

run: deps all
	$(B)/tarn demo

# The full suite: release unit + integration tests, then unit + integration
# under ASan+UBSan, lint, then a short libFuzzer smoke run.
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all unit
	@$(MAKE) --no-print-directory -j$(NPROC) B=build/asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" all unit
	@$(MAKE) --no-print-directory -j$(NPROC) fuzz-build
	@$(MAKE) --no-print-directory lint
	@tests/run --build build --asan-build build/asan --fuzz-build build/fuzz

# Quick loop for development: release build only, no sanitizers or fuzzing.
test-fast:
	@$(MAKE) --no-print-directory all unit
	@tests/run --build build

asan:
	@$(MAKE) --no-print-directory B=build/asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" all unit

# invalidPointerCast is suppressed: column buffers are typed views of aligned
# byte buffers by design (the Arrow layout).
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem --suppress=invalidPointerCast -Iinclude -Isrc $(LIB_SRC) $(CLI_SRC)

# libFuzzer targets: one binary per fuzz/*.c, linked against a clang-built library.
FUZZ_B  := build/fuzz
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_B)/obj/%.o)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(FUZZ_B)/%)
FUZZ_CFLAGS = $(WARN) $(DEFS) -O1 -g -Iinclude -Isrc $(PKG_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all

$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_B)/libtarn.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_B)/%: fuzz/%.c $(FUZZ_B)/libtarn.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_B)/libtarn.a $(LIBS)

fuzz-build: $(FUZZ_BIN)

FUZZ_SECONDS ?= 20
fuzz: deps fuzz-build
	@for f in $(FUZZ_BIN); do \
	  n=$$(basename $$f); mkdir -p build/fuzz/work/$$n; \
	  echo "fuzz: $$n ($(FUZZ_SECONDS)s)"; \
	  d=; [ -f fuzz/$$n.dict ] && d=-dict=fuzz/$$n.dict; \
	  $$f $$d -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	      -artifact_prefix=build/fuzz/work/$$n/ build/fuzz/work/$$n fuzz/corpus/$$n >build/fuzz/work/$$n.log 2>&1 \
	    || { echo "fuzz: $$n FAILED, see build/fuzz/work/$$n.log"; tail -30 build/fuzz/work/$$n.log; exit 1; }; \
	done

bench: deps all
	bench/run.sh

# TPC-H queries from Parquet against DuckDB (SF=1 RUNS=3 QUERIES=1,6 ...).
bench-tpch: deps all
	bench/tpch.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# The link line libtarn.a needs (bench/Makefile uses it for sqlbench).
print-libs:
	@echo $(LIBS)
