#!/usr/bin/env bash
# bench_cuda.sh: `make bench` for a CUDA machine, in one command, with nothing
# but Python torch (CUDA build), CMake and a C++ compiler needed there.
#
#   scripts/bench_cuda.sh                  # real-size DrumSep-6, 51.7 s, cuda
#   FULL=0 scripts/bench_cuda.sh           # the narrow model, 10 s
#   BENCH_FLAGS="--batch 1,4" scripts/bench_cuda.sh
#
# 1. builds bin/libdrumsplit_torch against the machine's Python torch
#    (torch.utils.cmake_prefix_path), in $BUILD_DIR (default build-cuda);
# 2. builds bin/drumsplit with Go, or, where Go is missing (as on many GPU
#    machines), uses the one copied into bin/ (built with `make bin/drumsplit`
#    on Linux amd64);
# 3. writes the random-weight model into bench/tmp;
# 4. runs `drumsplit bench` on $BENCH_DEVICE with scripts/bench_reference.py
#    taking turns point by point (fp32, and fp16: drumsplit's fp16 weights
#    against the reference's autocast, MSST's default), keeps the JSON in
#    bench/results/<machine>-<date>.json and regenerates BENCHMARKS.md (and,
#    where Go is installed, the chart bench/rtf.svg: `make bench-report`
#    draws it on any machine with Go).
#
# Environment: PYTHON (python3), FULL (1), BENCH_DEVICE (cuda), BENCH_OVERLAP
# (2,4,8), BENCH_BATCH (1,4,8), BENCH_SECONDS (51.7, or 10 with FULL=0),
# BENCH_INPUT (an audio file instead of the rendered groove), BENCH_FLAGS
# (more flags for drumsplit bench), BUILD_DIR.
set -euo pipefail

cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
FULL=${FULL:-1}
BUILD_DIR=${BUILD_DIR:-build-cuda}
BENCH_DEVICE=${BENCH_DEVICE:-cuda}
BENCH_OVERLAP=${BENCH_OVERLAP:-2,4,8}
BENCH_BATCH=${BENCH_BATCH:-1,4,8}
BENCH_FLAGS=${BENCH_FLAGS:-}
TMP=bench/tmp

die() {
	echo "bench_cuda: $*" >&2
	exit 1
}

if [ "$FULL" = 1 ]; then
	model=drumsep6-random
	config=configs/drumsep_6stem_mdx23c.yaml
	seconds=${BENCH_SECONDS:-51.7}
else
	model=drumsep6-narrow-random
	config=bench/drumsep6_narrow.yaml
	seconds=${BENCH_SECONDS:-10}
fi

# Python torch, and CUDA in it when a CUDA device is asked for.
"$PYTHON" -c 'import torch' 2>/dev/null || die "$PYTHON cannot import torch (set PYTHON)"
case $BENCH_DEVICE in
cuda*)
	"$PYTHON" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' ||
		die "torch $("$PYTHON" -c 'import torch; print(torch.__version__)') sees no CUDA device"
	;;
esac

# 1. The native library, against this torch (a Python torch without CMake
# files, as Debian's, shares its libraries with the system's libtorch, which
# find_libtorch.sh finds).
prefix=$(cd / && "$PYTHON" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
torch_dir=$prefix/Torch
if [ ! -f "$torch_dir/TorchConfig.cmake" ]; then
	torch_dir=$(PYTHON=$PYTHON scripts/find_libtorch.sh) || die "no TorchConfig.cmake under $prefix/Torch nor elsewhere"
fi
cmake -S . -B "$BUILD_DIR" --log-level=WARNING -DCMAKE_BUILD_TYPE=Release "-DTorch_DIR:PATH=$torch_dir"
cmake --build "$BUILD_DIR" --parallel

# 2. The binary: built here when Go is installed, else the one copied in.
if command -v go >/dev/null 2>&1; then
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	go build -trimpath -ldflags "-X main.Commit=$commit" -o bin/drumsplit ./cmd/drumsplit
elif [ ! -x bin/drumsplit ]; then
	die "no Go and no bin/drumsplit: build it on a Linux amd64 machine with \`make bin/drumsplit\` and copy it to bin/"
fi
export DRUMSPLIT_LIB="$PWD/bin/libdrumsplit_torch.so"
bin/drumsplit version

# 3. The model: random weights, never committed.
mkdir -p "$TMP" bench/results
"$PYTHON" scripts/make_random_checkpoint.py --config "$config" -o "$TMP/$model.ckpt"
"$PYTHON" scripts/export_model.py -q --checkpoint "$TMP/$model.ckpt" --config "$config" --name "$model" \
	-o "$TMP/$model.pt"
rm -f "$TMP/$model.ckpt"

# 4. The grid, drumsplit and the reference in turn.
input=()
if [ -n "${BENCH_INPUT:-}" ]; then
	input=(--input "$BENCH_INPUT")
fi
# shellcheck disable=SC2086 # BENCH_FLAGS holds several flags
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE} bin/drumsplit bench -m "$TMP/$model.pt" --device "$BENCH_DEVICE" \
	--overlap "$BENCH_OVERLAP" --batch "$BENCH_BATCH" --seconds "$seconds" ${input[@]+"${input[@]}"} \
	--save-input "$TMP/input.wav" --reference "$PYTHON scripts/bench_reference.py" -o bench/results/ $BENCH_FLAGS
if command -v go >/dev/null 2>&1; then
	go run ./internal/cmd/benchreport
else
	# The binary writes the matrix; the chart needs Go (internal/cmd/benchreport).
	bin/drumsplit bench report
	echo "bench_cuda: no Go here, so bench/rtf.svg is not redrawn: run \`make bench-report\` where Go is"
fi
echo "bench_cuda: results in bench/results/, matrix in BENCHMARKS.md; keep the new JSON file"
