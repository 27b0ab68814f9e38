# FaceHarvest — every entry point runs the idempotent set-up first.
#   make demo   set-up, build, run the pipeline on the bundled sample episode
#   make test   set-up, then the whole test suite
#   make bench  set-up, release build, benchmarks on the sample episode
SHELL := /bin/bash
ROOT := $(CURDIR)
export PKG_CONFIG_PATH := $(ROOT)/.deps/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))
export FACEHARVEST_DEPS := $(ROOT)/.deps
EP_ID ?= sample-s01e01
SWIFT_JOBS ?= $(shell nproc)
# ONNX Runtime lives in .deps (from the PyPI wheel); SwiftPM refuses -Wl,-rpath from a .pc file,
# so the rpath is given here: the binaries then find the library with nothing exported.
SWIFT_LINK := -Xlinker -rpath -Xlinker $(ROOT)/.deps/onnxruntime/lib

.PHONY: setup build build-debug demo test bench lint clean

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

bench: build
	scripts/bench.sh

lint:
	swift format lint -r Sources Tests

clean:
	rm -rf .build
