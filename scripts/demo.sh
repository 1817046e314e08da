#!/usr/bin/env bash
# The main job, end to end (make demo): render a 30 s drum groove with a kit
# held out from training (its true stems are known), separate it with the
# bundled model, and score the stems against the truth.
#
#   scripts/demo.sh [BIN_DIR]      (default bin; run from the repository root)
#
# Writes the stems to ./separated/demo-groove/ and the rendered groove and its
# true stems to build/demo/.
set -euo pipefail

bin=${1:-bin}
ds="$bin/drumsplit"
work=build/demo
track=demo-groove

rm -rf "$work"
mkdir -p "$work/ref"
echo "==> rendering a 30 s groove with a held-out kit (never used for training)"
"$ds" render --held-out --tracks 1 --seconds 30 --seed 2026 --out "$work" -j 1
mv "$work/test/00000" "$work/ref/$track"
kit=$(sed -n 's/.*"kit": *"\([^"]*\)".*/\1/p' "$work/ref/$track/onsets.json" | head -n 1)
echo "    kit: ${kit:-?}; mixture: $work/ref/$track/mixture.wav"

echo "==> separating it with the bundled model"
"$ds" separate --overwrite -o separated --filename "$track/{stem}.{ext}" \
  "$work/ref/$track/mixture.wav"
for f in separated/"$track"/*.wav; do
  echo "    $f"
done

echo "==> SDR of each stem against the truth (dB, higher is better)"
"$ds" eval --reference "$work/ref" --estimates separated
