#!/bin/sh
# find_libtorch.sh finds the libtorch to build libdrumsplit_torch against, in
# the order tch-rs uses:
#
#   1. $LIBTORCH: an unpacked libtorch archive (or any prefix holding
#      share/cmake/Torch/TorchConfig.cmake);
#   2. the libtorch inside the Python torch of $PYTHON (default python3),
#      i.e. torch.utils.cmake_prefix_path + /Torch;
#   3. the system: Debian/Ubuntu libtorch-dev, /usr/local, Homebrew.
#
# It prints the directory holding TorchConfig.cmake (CMake's Torch_DIR) on
# stdout and one line saying which libtorch it chose on stderr. It fails with
# a one-line explanation when there is none.
set -eu

PYTHON=${PYTHON:-python3}

# version_of prints the version recorded in TorchConfigVersion.cmake.
version_of() {
	sed -n 's/^set(PACKAGE_VERSION "\([^"]*\)").*/\1/p' "$1/TorchConfigVersion.cmake" 2>/dev/null | head -n 1
}

# found reports the choice and exits.
found() {
	dir=$1
	what=$2
	echo "libtorch: $what, version $(version_of "$dir") ($dir)" >&2
	echo "$dir"
	exit 0
}

# 1. LIBTORCH wins and must be right: a typo should not silently fall back.
if [ -n "${LIBTORCH:-}" ]; then
	for d in "$LIBTORCH/share/cmake/Torch" "$LIBTORCH/lib/cmake/Torch" "$LIBTORCH"; do
		if [ -f "$d/TorchConfig.cmake" ]; then
			found "$d" "LIBTORCH"
		fi
	done
	echo "find_libtorch: LIBTORCH=$LIBTORCH holds no share/cmake/Torch/TorchConfig.cmake" >&2
	exit 1
fi

# 2. Python torch. The package directory is located without importing torch
# (importing it takes about a second on every make); the result is the same
# directory torch.utils.cmake_prefix_path names. The current directory is
# dropped from sys.path so the repository's own torch/ folder cannot pass
# for the package.
if command -v "$PYTHON" >/dev/null 2>&1; then
	pkg=$("$PYTHON" -c '
import importlib.util, os, sys
sys.path = [p for p in sys.path if p not in ("", ".", os.getcwd())]
s = importlib.util.find_spec("torch")
if s is not None and s.origin and s.origin.endswith("__init__.py"):
    print(os.path.dirname(s.origin))
' 2>/dev/null) || pkg=""
	if [ -n "$pkg" ] && [ -f "$pkg/share/cmake/Torch/TorchConfig.cmake" ]; then
		found "$pkg/share/cmake/Torch" "Python torch of $PYTHON"
	fi
	# conda-forge's libtorch moves torch/share to $CONDA_PREFIX/share.
	prefix=$("$PYTHON" -c 'import sys; print(sys.prefix)' 2>/dev/null) || prefix=""
	if [ -n "$pkg" ] && [ -n "$prefix" ] && [ -f "$prefix/share/cmake/Torch/TorchConfig.cmake" ]; then
		found "$prefix/share/cmake/Torch" "Python torch of $PYTHON (conda prefix)"
	fi
	# Debian's python3-torch ships no CMake files; it shares its libraries
	# with libtorch-dev, which step 3 finds.
fi

# 3. The system.
arch=$( (dpkg-architecture -qDEB_HOST_MULTIARCH || gcc -print-multiarch) 2>/dev/null || true)
for d in ${arch:+"/usr/lib/$arch/cmake/Torch"} /usr/lib/cmake/Torch /usr/lib64/cmake/Torch \
	/usr/share/cmake/Torch /usr/local/lib/cmake/Torch /usr/local/share/cmake/Torch \
	/opt/homebrew/share/cmake/Torch /opt/homebrew/opt/pytorch/share/cmake/Torch \
	/usr/local/opt/pytorch/share/cmake/Torch; do
	if [ -f "$d/TorchConfig.cmake" ]; then
		found "$d" "system"
	fi
done

echo "find_libtorch: no libtorch found; install libtorch-dev (Debian/Ubuntu) or Python torch, or set LIBTORCH=/path/to/libtorch" >&2
exit 1
