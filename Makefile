# drumsplit build. `make` builds bin/drumsplit and the C ABI library
# bin/libdrumsplit_torch.so; `make test` is the one test command (README, .ci/run).

GO        ?= go
# PYTHON: the first Python that can import torch (a pyenv/venv python3 on
# PATH often cannot; Debian's python3-torch lives in /usr/bin/python3).
PYTHON    ?= $(shell for p in python3 /usr/bin/python3 python; do \
		(cd / && $$p -c 'import torch' >/dev/null 2>&1) && { echo $$p; exit 0; }; done; echo python3)
BUILD_DIR ?= build
BIN_DIR   ?= bin
LIBEXT    := $(if $(filter Darwin,$(shell uname -s)),dylib,so)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

.PHONY: all deps build demo lib lint test test-go test-deploy test-python fixtures fixtures-torch fixtures-stft fixtures-models fixtures-separator fixtures-eval bench bench-report clean

all: build

# build: the Go binary and the native library. The binary does not link the
# library (torch/ opens it at run time), so it builds without libtorch.
build: lib $(BIN_DIR)/drumsplit

$(BIN_DIR)/drumsplit: FORCE
	@mkdir -p $(BIN_DIR)
	$(GO) build -trimpath -ldflags "-X main.Commit=$(COMMIT)" -o $@ ./cmd/drumsplit

FORCE:

# deps: install the Debian/Ubuntu packages that are missing (apt; sudo when
# not root). Does nothing when everything is there.
deps:
	@scripts/install_deps.sh

# lib: the C ABI library bin/libdrumsplit_torch.so. scripts/find_libtorch.sh
# picks libtorch ($LIBTORCH, then the Python torch of $PYTHON, then the
# system) and prints which; CMake is configured again only when that choice
# changes, so a rebuild with nothing to do takes a moment.
lib:
	@tdir=$$(PYTHON="$(PYTHON)" scripts/find_libtorch.sh) && \
	if ! grep -qxF "Torch_DIR:PATH=$$tdir" $(BUILD_DIR)/CMakeCache.txt 2>/dev/null; then \
		cmake -S . -B $(BUILD_DIR) --log-level=WARNING -DCMAKE_BUILD_TYPE=Release "-DTorch_DIR:PATH=$$tdir"; \
	fi && GNUMAKEFLAGS=--no-print-directory cmake --build $(BUILD_DIR) --parallel

# fixtures-torch: the tiny TorchScript modules and their Python outputs that
# the torch package's tests compare against (needs python3-torch).
fixtures-torch:
	$(PYTHON) scripts/make_torch_fixtures.py torch/testdata

# fixtures-stft: torch.stft/istft outputs the stft package's tests compare
# against, written to stft/testdata (needs python3-torch).
fixtures-stft:
	$(PYTHON) -W ignore::UserWarning scripts/make_stft_fixtures.py --out stft/testdata

# fixtures-models: tiny exported models with inputs and eager PyTorch outputs,
# and the identity models, in testdata/models (needs python3-torch).
fixtures-models:
	$(PYTHON) scripts/make_model_fixtures.py --out testdata/models

# fixtures-separator: stems of scripts/msst_reference.py (MSST's and UVR's
# demix) on the tiny models, for the separator's parity tests.
fixtures-separator: fixtures-models
	$(PYTHON) scripts/make_separator_fixtures.py --out separator/testdata --models testdata/models

# fixtures-eval: small signals and their numpy SDR / SI-SDR
# (scripts/eval_reference.py), which the eval package's tests must match.
fixtures-eval:
	$(PYTHON) scripts/eval_reference.py --make-fixture testdata/eval/fixture.json

# fixtures: every fixtures-* target.
fixtures: fixtures-torch fixtures-stft fixtures-models fixtures-separator fixtures-eval

# test: everything CI checks. DRUMSPLIT_REQUIRE_TORCH=1 turns "library not
# built" from a skip into a failure, so a broken native build cannot hide;
# DRUMSPLIT_REQUIRE_BROWSER=1 does the same for Chromium, which the web
# app's browser test drives (drumsplit serve).
test: deps build lint test-go test-deploy test-python

# lint: gofmt (any file it lists fails), go vet and staticcheck on the Go
# code; shellcheck on every shell script in the repository, and the compose
# file as docker-compose reads it (no container engine needed). staticcheck
# is pinned as a tool in go.mod (`go tool staticcheck`), so `go mod download`
# fetches it with the rest and every machine runs the same version.
lint:
	@files=$$(gofmt -l .) && if [ -n "$$files" ]; then \
		echo "gofmt: not formatted (run gofmt -w):"; echo "$$files"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	shellcheck $$(git ls-files '*.sh' '*.sbatch' .ci/run 2>/dev/null || ls scripts/*.sh deploy/slurm/*.sbatch .ci/run)
	docker-compose -f docker-compose.yaml config -q

test-go:
	DRUMSPLIT_REQUIRE_TORCH=1 DRUMSPLIT_REQUIRE_TOOLS=1 DRUMSPLIT_REQUIRE_BROWSER=1 DRUMSPLIT_LIB=$(CURDIR)/$(BIN_DIR)/libdrumsplit_torch.$(LIBEXT) $(GO) test ./...

# test-deploy: the Kubernetes manifests decoded strictly into the API's
# types, in deploy/k8s's own module (which keeps k8s.io/api out of go.mod).
test-deploy:
	cd deploy/k8s && $(GO) vet ./... && $(GO) test ./...

test-python:
	$(PYTHON) -m pytest -q scripts/tests

# demo: the main job from a fresh clone: install what is missing, build,
# render a 30 s groove with a held-out kit, separate it with the bundled
# model into ./separated/demo-groove/ and print each stem's SDR.
demo: deps build
	scripts/demo.sh $(BIN_DIR)

# bench: the speed matrix (BENCHMARKS.md). drumsplit bench times a grid of
# overlap 2,4,8 x batch 1,2,4,8 x precision on every device here and, point by
# point in turn, scripts/bench_reference.py (MSST's demix, eager PyTorch, same
# weights, input and threads): the steady state, model loaded. Then the
# whole-process comparison: for DrumSep-6's architecture at each width of
# BENCH_WIDTHS (random weights; 128 is the published size), `drumsplit
# separate -m MODEL.pt INPUT -o DIR --overwrite` at its defaults against
# scripts/msst_infer.py (MSST's inference.py: torch.load of the .ckpt the
# export came from, demix, soundfile), each started anew and writing its stems,
# BENCH_RUNS times each taking turns; wall time from start to exit, CPU time
# and peak RSS, medians. BENCH_WIDTHS="" skips it; BENCH_PROCESS_THREADS=N
# gives both tools N threads (default: each tool's own); BENCH_FLAGS=--grid=false
# runs it alone. The results go to bench/results/<machine>-<date>.json, then
# BENCHMARKS.md and bench/rtf.svg are regenerated from every results file by
# internal/cmd/benchreport (a developer's tool, so that the chart's plotting
# library stays out of the drumsplit binary). The models have random weights
# and are generated into bench/tmp: the grid's by default DrumSep-6's
# architecture at 1/16 of its width on a 10 s input (about 10 minutes on a
# shared 2-core CPU; width 16 adds about 1 more, 64 about 8, 128 about 35);
# FULL=1: the grid on the real-size DrumSep-6 (438 MB) on the 51.7 s input
# (hours on a CPU; minutes on a GPU), and widths 16, 64 and 128.
# BENCH_FLAGS adds flags, e.g. --device cuda --batch 1,4,8.
BENCH_TMP     ?= bench/tmp
BENCH_MODEL   := $(if $(FULL),drumsep6-random,drumsep6-narrow-random)
BENCH_CONFIG  := $(if $(FULL),configs/drumsep_6stem_mdx23c.yaml,bench/drumsep6_narrow.yaml)
BENCH_SECONDS ?= $(if $(FULL),51.7,10)
BENCH_THREADS ?= $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 0)
BENCH_STFT    ?= go
BENCH_RUNS    ?= 3
BENCH_RESULTS ?= bench/results
BENCH_WIDTHS  ?= $(if $(FULL),16 64 128,16 64)
BENCH_PROCESS_THREADS ?= 0
# OpenMP threads that spin while waiting lose whole scheduler slices when
# the CPU is shared, slowing either side up to tenfold at random; passive
# waiting keeps timings comparable. Recorded in the results.
BENCH_ENV     ?= OMP_WAIT_POLICY=PASSIVE
BENCH_FLAGS   ?=
BENCH_PROCESS_MODELS := $(foreach w,$(BENCH_WIDTHS),$(BENCH_TMP)/drumsep6-w$(w).pt)
empty :=
space := $(empty) $(empty)
comma := ,

bench: build $(BENCH_PROCESS_MODELS) $(BENCH_PROCESS_MODELS:.pt=.ckpt) $(BENCH_PROCESS_MODELS:.pt=.yaml)
	@mkdir -p $(BENCH_TMP) $(BENCH_RESULTS)
	$(PYTHON) scripts/make_random_checkpoint.py --config $(BENCH_CONFIG) -o $(BENCH_TMP)/$(BENCH_MODEL).ckpt
	$(PYTHON) scripts/export_model.py -q --checkpoint $(BENCH_TMP)/$(BENCH_MODEL).ckpt --config $(BENCH_CONFIG) \
		--name $(BENCH_MODEL) -o $(BENCH_TMP)/$(BENCH_MODEL).pt
	rm -f $(BENCH_TMP)/$(BENCH_MODEL).ckpt
	$(BENCH_ENV) $(BIN_DIR)/drumsplit bench -m $(BENCH_TMP)/$(BENCH_MODEL).pt --seconds $(BENCH_SECONDS) \
		--threads $(BENCH_THREADS) --stft $(BENCH_STFT) --runs $(BENCH_RUNS) --save-input $(BENCH_TMP)/input.wav \
		--reference "$(PYTHON) scripts/bench_reference.py" \
		$(if $(BENCH_WIDTHS),--process $(subst $(space),$(comma),$(strip $(BENCH_PROCESS_MODELS))) \
		--process-reference "$(PYTHON) scripts/msst_infer.py" --process-threads $(BENCH_PROCESS_THREADS)) \
		-o $(BENCH_RESULTS)/ $(BENCH_FLAGS)
	$(GO) run ./internal/cmd/benchreport -results $(BENCH_RESULTS)

# The whole-process models: DrumSep-6's config at width W, a random-weight
# checkpoint of it (kept: the reference loads it) and its export.
$(BENCH_TMP)/drumsep6-w%.yaml: configs/drumsep_6stem_mdx23c.yaml scripts/make_bench_config.py
	@mkdir -p $(BENCH_TMP)
	$(PYTHON) scripts/make_bench_config.py --width $* -o $@ configs/drumsep_6stem_mdx23c.yaml
$(BENCH_TMP)/drumsep6-w%.ckpt: $(BENCH_TMP)/drumsep6-w%.yaml
	$(PYTHON) scripts/make_random_checkpoint.py --config $< -o $@
$(BENCH_TMP)/drumsep6-w%.pt: $(BENCH_TMP)/drumsep6-w%.ckpt $(BENCH_TMP)/drumsep6-w%.yaml
	$(PYTHON) scripts/export_model.py -q --checkpoint $< --config $(BENCH_TMP)/drumsep6-w$*.yaml \
		--name drumsep6-w$*-random -o $@

# bench-report: regenerate BENCHMARKS.md and bench/rtf.svg from bench/results.
bench-report:
	$(GO) run ./internal/cmd/benchreport

clean:
	rm -rf $(BUILD_DIR) $(BIN_DIR)
