# connsim build. `make help` lists the targets.
#
# Layers (one-way): sim/ (engine, no TCP) <- models/ (kernel mechanisms) <- cmd/ (commands).
# Every sim/*.c and models/*.c goes into libconnsim.a; cmd/*.c link it into ./connsim;
# each tests/test_*.c is its own cmocka binary.

CC      ?= cc
PKGS    := glib-2.0 gsl cmocka libpcap
# libpcap-dev: the trace's pcap export; tshark, libxml2-utils (xmllint),
# librsvg2-bin (rsvg-convert) and mscgen: tests/test_view.c reads that pcap
# back, parses and renders the SVG, draws the mscgen chart.  DEBIAN_FRONTEND=noninteractive (below) answers tshark's
# question about non-root capture with its default (no).
DEB_PKGS := libglib2.0-dev libgsl-dev libcmocka-dev gnuplot-nox pkg-config libpcap-dev tshark libxml2-utils \
            librsvg2-bin mscgen

# SANITIZE=1 builds everything (into build-san/) under ASan and UBSan.
# DEVELOPER=1 turns warnings into errors (git's config.mak.dev habit).
# FUZZ=1 (make fuzz sets it) builds with clang's libFuzzer instrumentation,
# ASan and UBSan into build/fuzz/.
ifeq ($(SANITIZE),1)
BUILD   := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1 -g
else ifeq ($(FUZZ),1)
CC      := clang
BUILD   := build/fuzz
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1 -g
else
BUILD   := build
SANFLAGS :=
OPT     ?= -O2 -g
endif

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
           -Wformat=2 -Wno-unused-parameter -Wvla
# clang warns about wl.h's WL_CHOICES, which skips the leading '|' of a
# joined string literal by adding 1 on purpose.
ifneq ($(findstring clang,$(CC)),)
WARN    += -Wno-string-plus-int
endif
ifeq ($(DEVELOPER),1)
WARN    += -Werror
endif

PKG_CFLAGS = $(shell pkg-config --cflags glib-2.0 gsl libpcap)
PKG_LIBS   = $(shell pkg-config --libs glib-2.0 gsl libpcap) -lm
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka)

# -I$(BUILD) for the generated version.h (see below).
CFLAGS  := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SANFLAGS) -MMD -MP \
           -I. -I$(BUILD) $(PKG_CFLAGS)
LDFLAGS := $(SANFLAGS)

LIB_SRC := $(sort $(wildcard sim/*.c models/*.c))
CMD_SRC := $(sort $(filter-out cmd/main.c,$(wildcard cmd/*.c)))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ := $(CMD_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/cmd/main.o
LIBS_A  := $(BUILD)/libcmd.a $(BUILD)/libconnsim.a
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# libFuzzer targets (tests/fuzz/fuzz_*.c); each also links with the replay
# driver, which make check runs over tests/fuzz/regress/ and the seed corpus.
FUZZ_TARGETS := experiment sysctl values
FUZZ_BIN := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/fuzz_%)
REPLAY_BIN := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/replay_%)
BENCH_BIN := $(BUILD)/tests/bench
# the paced load of make validate-kernel (contrib/validate/)
CSVLOAD := $(BUILD)/contrib/validate/csvload

BIN     := $(if $(filter 1,$(SANITIZE)),$(BUILD)/connsim,connsim)

.PHONY: all help deps check check-unit check-cli check-layers check-fuzz run plots bench clean experiments fuzz \
	fuzz-bins FORCE

# A recipe that fails leaves no half-written target behind.
.DELETE_ON_ERROR:
all: $(BIN)

help:
	@echo "make            build ./connsim"
	@echo "make deps       install missing Debian packages ($(DEB_PKGS))"
	@echo "make check      build and run every test (layers, unit, validation, command line);"
	@echo "                needs the packages: on a new machine, make deps check"
	@echo "make check-unit / check-cli / check-layers   one part of make check"
	@echo "make check SANITIZE=1   the same under AddressSanitizer + UBSan"
	@echo "make run        run the default experiment and render its figure into out/"
	@echo "make plots      render figures for every CSV under out/"
	@echo "make experiments  run (or sweep) every experiment and render its figures"
	@echo "make install    binary, man page, bash completion, experiments, plots into PREFIX (/usr/local), under DESTDIR"
	@echo "make bench      engine and model benchmarks (events/s, memory)"
	@echo "make validate-kernel [FULL=1]  connsim against this kernel in network namespaces (root; ~3.5 min, FULL ~21 min)"
	@echo "make test-slurm a sharded sweep through a one-node Slurm on localhost (root; ~1 min)"
	@echo "make fuzz FUZZ_SECONDS=N   each libFuzzer target N s (clang); finds go to tests/fuzz/regress/"
	@echo "make DEVELOPER=1  warnings are errors"

# Installs the Debian packages only when one is missing; a no-op otherwise.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# What the build depends on besides sources and headers, each in a file of
# $(BUILD)/ that is rewritten only when its content changes (git's
# GIT-CFLAGS and GIT-VERSION-FILE habit): the FORCE prerequisite runs the
# recipe every time, the unchanged file's old timestamp then rebuilds nothing.
#   flags:     the compiler and every flag, so that a changed flag rebuilds
#              everything while an edit elsewhere in this Makefile rebuilds
#              nothing;
#   version.h: `git describe` of the checkout, included by cmd/provenance.c
#              alone, so that a new commit rebuilds that one object and the
#              links (a -D flag would leave objects that were not rebuilt
#              naming an older commit).  Without git: "unknown".

# The recipes run even under `make -n` ('+'), so that -n and -q see the files
# unchanged and report only real work.
#
# Replaces $@ by $@.tmp only when they differ.
mv-if-changed = if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

FLAGS_FILE := $(BUILD)/flags
VERSION_H  := $(BUILD)/version.h

$(FLAGS_FILE): FORCE
	+@mkdir -p $(dir $@)
	+@printf '%s\n' '$(CC)' '$(CFLAGS)' '$(CMOCKA_CFLAGS)' '$(LDFLAGS)' \
	  '$(PKG_LIBS) $(CMOCKA_LIBS)' > $@.tmp && $(mv-if-changed)

$(VERSION_H): FORCE
	+@mkdir -p $(dir $@)
	+@printf '#define CONNSIM_VERSION "%s"\n' \
	  "$$(git describe --always --dirty 2>/dev/null || echo unknown)" > $@.tmp && $(mv-if-changed)

FORCE:

# The first build has no .d file yet to say that provenance.o needs version.h.
$(BUILD)/cmd/provenance.o: $(VERSION_H)

$(BUILD)/%.o: %.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libconnsim.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The commands other than main() form libcmd.a, so tests can load experiments
# exactly as the binary does.
$(BUILD)/libcmd.a: $(CMD_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(MAIN_OBJ) $(LIBS_A) $(FLAGS_FILE)
	$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(LIBS_A) $(PKG_LIBS)

$(BUILD)/tests/%.o: tests/%.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CMOCKA_CFLAGS) -c $< -o $@

# A static pattern rule, so that the test objects are named targets and not
# intermediates of a chain of implicit rules: make deletes intermediates after
# the link, and the next `make check` then compiled every test again.
$(TEST_BIN): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIBS_A) $(FLAGS_FILE)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBS_A) $(PKG_LIBS) $(CMOCKA_LIBS)

# Every test.  It needs the packages installed (`make deps` once) but never
# installs them: a second `make check` compiles nothing and needs no network.
# The binaries build in parallel under -j; the tests then run one after
# another, unit and validation tests first, then the command-line tests
# against the real binary, so that their output reads in order.
check: check-layers $(TEST_BIN) $(REPLAY_BIN) $(BIN) $(CSVLOAD)
	@$(run-unit)
	@$(run-replay)
	@$(run-cli)
	@$(MAKE) --no-print-directory check-install

check-unit: $(TEST_BIN)
	@$(run-unit)

check-cli: $(BIN) $(CSVLOAD)
	@$(run-cli)

check-fuzz: $(REPLAY_BIN)
	@$(run-replay)

# Every input a fuzz target ever failed on (tests/fuzz/regress/TARGET/) and
# its seed corpus, through the same entry point, built with $(CC): no clang.
define run-replay
fail=0; for t in $(FUZZ_TARGETS); do \
  echo "== replay $$t"; $(BUILD)/tests/fuzz/replay_$$t tests/fuzz/regress/$$t tests/fuzz/corpus/$$t || fail=1; \
done; exit $$fail
endef

# The one-way layers (sim/ <- models/ <- cmd/), checked on every `make check`.
check-layers:
	@sh tests/layers.sh

# Tests run TEST_JOBS at a time (default: one per processor), each into its
# own log under $(BUILD)/testlog/, printed in the list's order once all are
# done, so the output reads as if they had run one after another.
TEST_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
# $(call run-par,LIST,HOW): runs "HOW TEST" for every TEST of LIST.
define run-par
mkdir -p $(BUILD)/testlog; \
printf '%s\n' $(1) | xargs -P $(TEST_JOBS) -I{} sh -c 'l=$(BUILD)/testlog/$$(echo {} | tr / _); \
  { echo "== {}"; $(2) {}; } > $$l.log 2>&1; echo $$? > $$l.rc'; \
fail=0; for t in $(1); do l=$(BUILD)/testlog/$$(echo $$t | tr / _); \
  cat $$l.log; [ "$$(cat $$l.rc)" = 0 ] || fail=1; \
done; exit $$fail
endef

define run-unit
$(call run-par,$(TEST_BIN),)
endef

# The command-line tests, each a shell script against the real binary.
CLI_TESTS := tests/cli.sh tests/explain.sh tests/robust.sh tests/verdict.sh tests/compare.sh tests/hostfiles.sh tests/shard.sh tests/limits.sh tests/plots.sh tests/snat_tsoffset.sh tests/validate.sh tests/trace.sh tests/connlog.sh tests/check.sh tests/netns.sh tests/mixed.sh tests/runpcap.sh tests/natgw_aws.sh tests/hostfw.sh tests/natgw_gcp.sh tests/cilium.sh tests/natgw_azure.sh tests/lb_azure.sh

define run-cli
$(call run-par,$(CLI_TESTS),CONNSIM=./$(BIN) CSVLOAD=$(CSVLOAD) sh)
endef

run: deps
	@$(MAKE) --no-print-directory $(BIN)
	./$(BIN) run experiments/default.ini --out out/default
	gnuplot -e "outdir='out/default'" plots/timeseries.gp
	@echo "figure: out/default/timeseries.png"

plots: $(BIN)
	@for d in out/*/; do \
	  [ -f "$$d/timeseries.csv" ] && gnuplot -e "outdir='$${d%/}'" plots/timeseries.gp && echo "rendered $${d}timeseries.png"; \
	  [ -f "$$d/curve.csv" ] && gnuplot -e "outdir='$${d%/}'" plots/curve.gp && echo "rendered $${d}curve.png"; \
	  [ -f "$$d/compare.csv" ] && gnuplot -e "outdir='$${d%/}'" plots/compare.gp && echo "rendered $${d}compare.png"; \
	done; true

# Every experiment: a curve (connsim sweep) when it has a [sweep] section,
# else one run; then its figures, into out/NAME/.
experiments: deps
	@$(MAKE) --no-print-directory $(BIN)
	@set -e; for e in experiments/*.ini; do \
	  n=$$(basename $$e .ini); \
	  if grep -q '^\[sweep\]' $$e; then \
	    ./$(BIN) sweep $$e --out out/$$n; gnuplot -e "outdir='out/$$n'" plots/curve.gp; \
	  else \
	    ./$(BIN) run $$e --out out/$$n; gnuplot -e "outdir='out/$$n'" plots/timeseries.gp; \
	  fi; \
	  echo "figures: out/$$n/"; \
	done

# contrib/slurm/sweep.sbatch end to end on a one-node Slurm on localhost
# (tests/slurm.sh; root; installs slurm-wlm and munge when missing).
SLURM_PKGS := slurm-wlm munge
.PHONY: test-slurm
test-slurm: $(BIN)
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(SLURM_PKGS)"
	CONNSIM=./$(BIN) sh tests/slurm.sh

$(BUILD)/tests/fuzz/%.o: tests/fuzz/%.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(REPLAY_BIN): $(BUILD)/tests/fuzz/replay_%: $(BUILD)/tests/fuzz/replay.o $(BUILD)/tests/fuzz/fuzz_%.o $(LIBS_A) $(FLAGS_FILE)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/tests/fuzz/replay.o $(BUILD)/tests/fuzz/fuzz_$*.o $(LIBS_A) $(PKG_LIBS)

$(FUZZ_BIN): $(BUILD)/tests/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(LIBS_A) $(FLAGS_FILE)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIBS_A) $(PKG_LIBS)

fuzz-bins: $(FUZZ_BIN)

# make fuzz FUZZ_SECONDS=N: each target N seconds (clang, libFuzzer), from
# its seed corpus (tests/fuzz/corpus/TARGET/) and what earlier runs found
# (build/fuzz/corpus/TARGET/).  A crash, a leak, a hang (-timeout) or a blown
# memory cap (-rss_limit_mb) is written to tests/fuzz/regress/TARGET/: fix
# it, keep the file, and make check replays it for ever.
FUZZ_SECONDS ?= 60
fuzz:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bins
	@fail=0; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t tests/fuzz/regress/$$t; \
	  echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
	  build/fuzz/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -max_len=4096 -artifact_prefix=tests/fuzz/regress/$$t/ -print_final_stats=1 \
	    build/fuzz/corpus/$$t tests/fuzz/corpus/$$t || fail=1; \
	done; exit $$fail

bench: $(BENCH_BIN)
	./$(BENCH_BIN) --csv $(BUILD)/bench.csv

$(BENCH_BIN): $(BUILD)/tests/bench.o $(LIBS_A) $(FLAGS_FILE)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBS_A) $(PKG_LIBS)

# make install PREFIX=/usr/local (the default) DESTDIR=stage: the binary, its
# man page and bash completion, and under share/connsim the experiments and
# the gnuplot scripts that draw their figures.  tests/install.sh checks it.
PREFIX  ?= /usr/local
BINDIR  := $(DESTDIR)$(PREFIX)/bin
MAN1DIR := $(DESTDIR)$(PREFIX)/share/man/man1
DATADIR := $(DESTDIR)$(PREFIX)/share/connsim
COMPDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions

.PHONY: install uninstall check-install
install: $(BIN)
	install -d "$(BINDIR)" "$(MAN1DIR)" "$(DATADIR)/experiments" "$(DATADIR)/plots" "$(COMPDIR)"
	install -m 755 $(BIN) "$(BINDIR)/connsim"
	install -m 644 doc/connsim.1 "$(MAN1DIR)/connsim.1"
	install -m 644 experiments/*.ini "$(DATADIR)/experiments/"
	install -m 644 plots/*.gp "$(DATADIR)/plots/"
	install -m 644 doc/connsim.bash-completion "$(COMPDIR)/connsim"

uninstall:
	rm -f "$(BINDIR)/connsim" "$(MAN1DIR)/connsim.1" "$(COMPDIR)/connsim"
	rm -rf "$(DATADIR)"

check-install: $(BIN)
	@MAKE="$(MAKE)" SANITIZE="$(SANITIZE)" sh tests/install.sh

clean:
	rm -rf build build-san connsim

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(TEST_BIN:=.d) $(BUILD)/tests/bench.d \
	$(wildcard $(BUILD)/tests/fuzz/*.d)

# connsim against the kernel it runs on (contrib/validate/validate.sh): network
# namespaces, a paced load (csvload), the same scenarios in connsim, one table
# (out/validate-kernel.md).  Root; quick about 3.5 min, FULL=1 about 21 min.
# It prints "skipped: ..." and exits 0 where namespaces cannot be made.
VALIDATE_PKGS := iproute2 nftables conntrack
.PHONY: validate-kernel
validate-kernel: $(BIN) $(CSVLOAD)
	@if [ "$$(id -u)" -eq 0 ]; then $(MAKE) --no-print-directory deps DEB_PKGS="$(VALIDATE_PKGS)"; fi
	CONNSIM=./$(BIN) LOAD=$(CSVLOAD) FULL=$(FULL) bash contrib/validate/validate.sh

$(CSVLOAD): contrib/validate/csvload.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)
