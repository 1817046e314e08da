#!/usr/bin/env bash
# Scores a model on rendered drum tracks whose stems are known: renders a set
# (unless it exists), separates every track's mixture, and runs drumsplit eval.
#
#   scripts/evaluate_model.sh MODEL WORKDIR [held-out|valid] [TRACKS] [SECONDS] [SEPARATE FLAGS...]
#
# held-out (default): the evaluation kits The Black Pearl 1.0 and ForzeeStereo
# (split "test", seed 3); valid: the training kits, split "valid", seed 2
# (different grooves from training). Prints the eval table and writes
# WORKDIR/<set>-eval.json. Flags after SECONDS go to drumsplit separate, e.g.
# --tta (a set already rendered in WORKDIR is reused, so two runs with one
# WORKDIR score the same tracks; each run replaces the JSON).
set -euo pipefail

model=$1
work=$2
set=${3:-held-out}
tracks=${4:-10}
seconds=${5:-30}
shift $(($# < 5 ? $# : 5))
ds=${DRUMSPLIT:-bin/drumsplit}

case "$set" in
held-out) render=(--held-out --seed 3) split=test ;;
valid) render=(--split valid --seed 2) split=valid ;;
*) echo "evaluate_model: set must be held-out or valid, not $set" >&2; exit 2 ;;
esac

data="$work/data-$set"
if [[ ! -d "$data/$split" ]]; then
  "$ds" -q render --out "$data" "${render[@]}" --tracks "$tracks" --seconds "$seconds"
fi
est="$work/est-$set"
rm -rf "$est"
for t in "$data/$split"/*/; do
  name=$(basename "$t")
  "$ds" -q separate -m "$model" -o "$est" --bit-depth 32f --filename "$name/{stem}.{ext}" "$@" "$t/mixture.wav"
done
"$ds" eval --reference "$data/$split" --estimates "$est"
"$ds" eval --reference "$data/$split" --estimates "$est" --json > "$work/$set-eval.json"
