# FaceHarvest — every entry point runs the idempotent set-up first.
#   make demo   set-up, build, run the pipeline on the bundled sample episode
#   make test   set-up, then the whole test suite
#   make bench  set-up, release build, benchmarks on the sample episode
#   make tsan   the threaded suites under ThreadSanitizer (a separate .build-tsan)
SHELL := /bin/bash
ROOT := $(CURDIR)
export PKG_CONFIG_PATH := $(ROOT)/.deps/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))
export FACEHARVEST_DEPS := $(ROOT)/.deps
EP_ID ?= sample-s01e01
SWIFT_JOBS ?= $(shell nproc)
# ONNX Runtime lives in .deps (from the PyPI wheel); SwiftPM refuses -Wl,-rpath from a .pc file,
# so the rpath is given here: the binaries then find the library with nothing exported.
SWIFT_LINK := -Xlinker -rpath -Xlinker $(ROOT)/.deps/onnxruntime/lib

.PHONY: setup build build-debug demo test tsan bench lint clean

setup:
	@scripts/setup.sh

build: setup
	swift build -c release -j $(SWIFT_JOBS) $(SWIFT_LINK) --product episode-run
	swift build -c release -j $(SWIFT_JOBS) $(SWIFT_LINK) --product faceharvest-server

build-debug: setup
	swift build -j $(SWIFT_JOBS) $(SWIFT_LINK)

demo: build
	DEBUG_THUMBS=1 .build/release/episode-run --ep-id $(EP_ID) --detect-track --faces-embed --save-crops --cluster
	.build/release/episode-run debug-thumbs data/frames/$(EP_ID)/crops_debug.jsonl
	.build/release/episode-run validate --ep-id $(EP_ID)

test: setup
	swift build -j $(SWIFT_JOBS) $(SWIFT_LINK) --build-tests
	swift test -j $(SWIFT_JOBS) $(SWIFT_LINK) --skip-build

# ThreadSanitizer: the suites that run threads (README, "Development"); a separate build folder.
TSAN_SUITES ?= ThreadPrimitivesTests|MediaTests|HTTPAppTests|HarvestTests|DetectTrackTests|EpisodePipelineTests|InterruptEndToEnd|HarvestEndToEnd|OptionParity
tsan: setup
	swift build -j $(SWIFT_JOBS) $(SWIFT_LINK) --sanitize=thread --scratch-path .build-tsan --build-tests
	set -o pipefail; TSAN_OPTIONS=suppressions=$(ROOT)/scripts/tsan-suppressions.txt \
	  swift test -j $(SWIFT_JOBS) $(SWIFT_LINK) --sanitize=thread --scratch-path .build-tsan \
	  --skip-build --filter '$(TSAN_SUITES)' 2>&1 | tee .build-tsan/tsan.log
	@! grep -q 'WARNING: ThreadSanitizer' .build-tsan/tsan.log || \
	  { grep -c 'WARNING: ThreadSanitizer' .build-tsan/tsan.log; echo 'ThreadSanitizer reports above'; exit 1; }

bench: build
	scripts/bench.sh

lint:
	swift format lint -r Sources Tests

clean:
	rm -rf .build
