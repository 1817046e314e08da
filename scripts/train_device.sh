#!/usr/bin/env bash
# train_device.sh: retrain the bundled model on a lent CUDA machine, in one
# command, with what such a machine has: Python torch (CUDA), numpy,
# soundfile and PyYAML; no Go and no network.
#
# Here (prepare what travels, about 40 MB):
#   make bin/drumsplit
#   scripts/train_device.sh --pack kits   # copies the training kits, small ones only
# There:
#   scripts/train_device.sh               # renders, trains, exports into $OUT
#
# 1. renders TRACKS training and VALID validation tracks of TRACK_SECONDS s from the
#    kits in KITS with the carried bin/drumsplit, on every core (the held-out
#    kits are never in KITS: --pack leaves them out, and render refuses them
#    in a train or valid split anyway);
# 2. trains scripts/train.py on DEVICE for MINUTES with CONFIG, BATCH, LR
#    (the run folder is WORK/run: --resume continues it);
# 3. exports the best checkpoint as fp32 and fp16 drumsplit models and copies
#    them, the metrics and the log to OUT_DIR ($OUT on the device machine).
#
# Environment: PYTHON (python3), KITS (kits), CONFIG
# (configs/drumsplit_gpu.yaml), MINUTES (10), TRACKS (400), VALID (8),
# TRACK_SECONDS (12), SEED (11), BATCH (16), LR (0.001), DEVICE (cuda),
# TRAIN_FLAGS (more flags for train.py), WORK (runs/device), OUT_DIR ($OUT,
# else WORK/out), NAME (drumsplit-<config>-<date>).
set -euo pipefail

cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
KITS=${KITS:-kits}
CONFIG=${CONFIG:-configs/drumsplit_gpu.yaml}
MINUTES=${MINUTES:-10}
TRACKS=${TRACKS:-400}
VALID=${VALID:-8}
TRACK_SECONDS=${TRACK_SECONDS:-12}
SEED=${SEED:-11}
BATCH=${BATCH:-16}
LR=${LR:-0.001}
DEVICE=${DEVICE:-cuda}
TRAIN_FLAGS=${TRAIN_FLAGS:-}
WORK=${WORK:-runs/device}
OUT_DIR=${OUT_DIR:-${OUT:-$WORK/out}}
NAME=${NAME:-drumsplit-$(basename "$CONFIG" .yaml)-$(date +%Y-%m-%d)}

die() {
	echo "train_device: $*" >&2
	exit 1
}

if [ "${1:-}" = --pack ]; then
	# The training kits that fit what travels to the device machine (64 MiB
	# with bin/drumsplit): every drum kit but the held-out two, BJA_Pacific
	# (31 MB) and the two kits that are not drum kits.
	dest=${2:?usage: train_device.sh --pack DIR}
	src=${HYDROGEN_KITS:-/usr/share/hydrogen/data/drumkits}
	mkdir -p "$dest"
	for k in "$src"/*/; do
		case $(basename "$k") in
		"The Black Pearl 1.0" | ForzeeStereo | BJA_Pacific | "circAfrique v4" | "Gimme A Hand 1.0") continue ;;
		esac
		cp -r "$k" "$dest/"
	done
	du -sh "$dest"
	exit 0
fi

[ -x bin/drumsplit ] || die "bin/drumsplit is missing (build it with make bin/drumsplit and carry bin/)"
[ -d "$KITS" ] || die "no kits in $KITS (scripts/train_device.sh --pack $KITS, and carry it)"
"$PYTHON" -c 'import torch, numpy, soundfile, yaml' ||
	die "$PYTHON lacks one of torch, numpy, soundfile, yaml"
case $DEVICE in
cuda*)
	"$PYTHON" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' ||
		die "torch sees no CUDA device (DEVICE=cpu to train on the CPU)"
	"$PYTHON" -c 'import torch; print("device:", torch.cuda.get_device_name(0))'
	;;
esac

jobs=$(nproc 2>/dev/null || echo 2)
data=$WORK/data
if [ ! -d "$data/train" ]; then
	echo "rendering $TRACKS + $VALID tracks of $TRACK_SECONDS s on $jobs cores"
	bin/drumsplit -q render --kits "$KITS" --out "$data" --tracks "$TRACKS" --seconds "$TRACK_SECONDS" \
		--seed "$SEED" --augment --jobs "$jobs"
	bin/drumsplit -q render --kits "$KITS" --out "$data" --split valid --tracks "$VALID" \
		--seconds "$TRACK_SECONDS" --seed "$((SEED + 1))" --jobs "$jobs"
fi

run=$WORK/run
mkdir -p "$run" "$OUT_DIR"
# shellcheck disable=SC2086 # TRAIN_FLAGS is a list of flags
"$PYTHON" scripts/train.py --data "$data" --config "$CONFIG" --out "$run" --device "$DEVICE" \
	--minutes "$MINUTES" --batch "$BATCH" --lr "$LR" --pitch 1.5 --remix 0.8 --busy 0.8 \
	--valid-every 2 --valid-tracks "$VALID" --resume $TRAIN_FLAGS 2>&1 | tee -a "$OUT_DIR/train.log"

for precision in fp32 fp16; do
	"$PYTHON" scripts/export_model.py --checkpoint "$run/best.ckpt" --config "$CONFIG" \
		--precision "$precision" --name "$NAME" -o "$OUT_DIR/$NAME-$precision.pt"
done
cp "$run/metrics.jsonl" "$OUT_DIR/$NAME.training-metrics.jsonl"
ls -l "$OUT_DIR"
