# Tongxin top-level entry points. Everything real lives in CMake; this file only
# installs missing packages, configures the build directories and runs things.
#   make        build (release with debug info) into build/
#   make demo   build, then run the end-to-end story on a local server (scripts/demo.sh);
#               it leaves the server and two web desks running: make demo-stop stops them
#   make test   build with ASan+UBSan into build-asan/ and run every test under ctest
#   make bench  build and run the benchmarks under bench/
#   make fuzz   build the libFuzzer targets with clang into build-fuzz/ and run them
#               all for FUZZ_SECONDS (default 1800) each; findings in build-fuzz/findings/
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
WERROR := $(if $(TONGXIN_WERROR),ON,OFF)
FUZZ_SECONDS ?= 1800

.PHONY: all deps build build-asan demo demo-stop test bench fuzz clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTONGXIN_WERROR=$(WERROR) >/dev/null
	@cmake --build build -j $(JOBS)

build-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTONGXIN_SANITIZE=ON -DTONGXIN_WERROR=$(WERROR) >/dev/null
	@cmake --build build-asan -j $(JOBS)

demo: build
	@bash scripts/demo.sh build

demo-stop:
	@bash scripts/demo.sh stop

test: build-asan
	@cd build-asan && ctest --output-on-failure -j $(JOBS) --timeout 600

bench: build
	@bash bench/run.sh build

fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh run

clean: demo-stop
	rm -rf build build-asan build-fuzz demo
