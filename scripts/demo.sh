#!/usr/bin/env bash
# The main job, end to end (make demo): render a 30 s drum groove with a kit
# held out from training (its true stems are known), separate it with the
# bundled model, and score the stems against the truth.
#
#   scripts/demo.sh [BIN_DIR]      (default bin; run from the repository root)
#
# Without the held-out Hydrogen kits (Debian's hydrogen-drumkits; on macOS and
# Windows they are rarely installed) it fetches nothing: it separates the
# bundled 5 s clip testdata/demo/demo-groove/ instead, rendered the same way
# from a held-out kit (see testdata/demo/README.md). DRUMSPLIT_KITS names
# another folder of kits (default /usr/share/hydrogen/data/drumkits).
#
# Writes the stems to ./separated/demo-groove/ and the groove and its true
# stems to build/demo/.
set -euo pipefail

bin=${1:-bin}
ds="$bin/drumsplit"
root=$(cd "$(dirname "$0")/.." && pwd)
kits=${DRUMSPLIT_KITS:-/usr/share/hydrogen/data/drumkits}
work=build/demo
track=demo-groove

rm -rf "$work"
mkdir -p "$work/ref"
if [[ -d "$kits/The Black Pearl 1.0" && -d "$kits/ForzeeStereo" ]]; then
  echo "==> rendering a 30 s groove with a held-out kit (never used for training)"
  "$ds" render --kits "$kits" --held-out --tracks 1 --seconds 30 --seed 2026 --out "$work" -j 1
  mv "$work/test/00000" "$work/ref/$track"
else
  echo "==> no held-out Hydrogen kits in $kits: using the bundled 5 s clip of a held-out kit"
  cp -R "$root/testdata/demo/$track" "$work/ref/$track"
fi
mix=$(ls "$work/ref/$track"/mixture.*)
kit=$(sed -n 's/.*"kit": *"\([^"]*\)".*/\1/p' "$work/ref/$track/onsets.json" | head -n 1)
echo "    kit: ${kit:-?}; mixture: $mix"

echo "==> separating it with the bundled model"
"$ds" separate --overwrite -o separated --filename "$track/{stem}.{ext}" "$mix"
for f in separated/"$track"/*.wav; do
  echo "    $f"
done

echo "==> SDR of each stem against the truth (dB, higher is better)"
"$ds" eval --reference "$work/ref" --estimates separated
