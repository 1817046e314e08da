#!/usr/bin/env bash
# Installs what drumsplit needs on Debian/Ubuntu and is missing: the C++
# toolchain and CMake, libtorch (Debian's CPU build), Python torch for the
# offline scripts and tests, sox/flac/lame for the audio tests, and the open
# Hydrogen drum kits, and Chromium for the web app's browser test
# (drumsplit serve). Used by `make deps` (and so `make demo`) and by .ci/run.
# Go itself is not installed here: Debian's golang is too old (see
# INSTALL_LINUX.md).
set -euo pipefail

packages=(
  build-essential cmake git pkg-config
  libtorch-dev python3-torch python3-yaml python3-numpy
  python3-soundfile python3-pytest
  sox flac lame hydrogen-drumkits
  shellcheck docker-compose
  chromium
)

if ! command -v dpkg-query >/dev/null; then
  echo "install_deps: not a Debian/Ubuntu system; skipping (see INSTALL_MAC.md / INSTALL_LINUX.md)" >&2
  exit 0
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  # Not Debian/Ubuntu (macOS, conda, …): the INSTALL_*.md files say what to
  # install; the build itself reports anything still missing.
  echo "install_deps: no apt-get here; skipping (see INSTALL_MAC.md / INSTALL_LINUX.md)" >&2
  exit 0
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
echo "install_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
