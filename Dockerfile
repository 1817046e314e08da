# syntax=docker/dockerfile:1
#
# drumsplit container images. Two targets:
#
#   docker build --target cuda -t drumsplit:cuda .   NVIDIA GPU (falls back to the CPU)
#   docker build --target cpu  -t drumsplit:cpu  .   CPU only, PyTorch's CPU libtorch
#
# Both build the C ABI library (bin/libdrumsplit_torch.so, with CMake) and the
# Go binary (bin/drumsplit) in a build stage, then copy the two files into a
# smaller runtime image, side by side in /opt/drumsplit/bin: the binary looks
# for the library in its own directory. The library finds libtorch through the
# absolute run path CMake records, so no LD_LIBRARY_PATH is set anywhere.
#
# Status: no container engine runs on the machines this project is built and
# tested on, so these images have never been built there. Report what breaks.
#
# Run (see docker-compose.yaml for the same with volumes):
#   docker run --rm --gpus all -v "$PWD/input:/data/in:ro" -v "$PWD/separated:/data/out" \
#       drumsplit:cuda separate -o /data/out /data/in

# Versions. Every base image is pinned by an exact tag (a patch release, never
# a moving tag like "1.26" or "bookworm"). Not by digest: the machines this
# project is built on have no network to resolve one. To pin byte for byte,
# append the digest that `docker buildx imagetools inspect IMAGE:TAG` prints
# (IMAGE:TAG@sha256:…) to the tags below.
#
# The CUDA images come from the PyTorch project: the -devel tag has the CUDA
# toolkit that CMake's find_package(Torch) wants for a CUDA libtorch, the
# -runtime tag of the same version has the same Python tree and libtorch.
# CUDA 12.8 builds run on Turing (RTX 20xx) up to Blackwell (RTX 50xx) and
# need an NVIDIA driver that supports CUDA 12.8 (R570 or newer).
#
# The CPU image runs PyTorch's own CPU libtorch (from its CPU wheel, the same
# torch version as the CUDA image), not Debian's libtorch1.13: Debian's
# libtorch_cpu.so links OpenCV, FFmpeg, Qt and GDAL, hundreds of MB that a
# separation never uses.
ARG GO_IMAGE=golang:1.26.8-bookworm
ARG TORCH_IMAGE=pytorch/pytorch
ARG TORCH_TAG=2.8.0-cuda12.8-cudnn9
ARG TORCH_VERSION=2.8.0
ARG DEBIAN_TAG=12.11

# The Go toolchain, copied into the build stages below (go.mod needs 1.26).
FROM ${GO_IMAGE} AS go

# ---------------------------------------------------------------- CUDA build
FROM ${TORCH_IMAGE}:${TORCH_TAG}-devel AS build-cuda
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates cmake g++ make \
 && rm -rf /var/lib/apt/lists/*
COPY --from=go /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:/usr/local/cuda/bin:$PATH \
    GOTOOLCHAIN=local \
    CGO_ENABLED=1
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The libtorch is the one inside the image's Python torch. Python runs from /
# so that the repository's own torch/ folder cannot shadow the package.
RUN set -eu; \
    torch_dir="$(cd / && python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')"; \
    make LIBTORCH="$torch_dir"; \
    if ! readelf -d bin/libdrumsplit_torch.so | grep -q 'NEEDED.*libtorch_cuda\.so'; then \
      echo "libdrumsplit_torch.so does not link libtorch_cuda: the libtorch in $torch_dir has no CUDA" >&2; exit 1; \
    fi; \
    mkdir -p /out/bin /out/models; \
    cp bin/drumsplit bin/libdrumsplit_torch.so /out/bin/; \
    if [ -d models ]; then cp -R models/. /out/models/; fi; \
    printf '%s\n' "$torch_dir/lib" > /out/torch-lib-dir

# ---------------------------------------------------------------- CPU build
FROM debian:${DEBIAN_TAG} AS build-cpu
ARG TORCH_VERSION
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential ca-certificates cmake python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
# PyTorch's CPU wheel: libtorch without CUDA, OpenCV or FFmpeg.
RUN python3 -m venv /opt/torch \
 && /opt/torch/bin/pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu "torch==${TORCH_VERSION}"
COPY --from=go /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:$PATH \
    GOTOOLCHAIN=local \
    CGO_ENABLED=1
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The libraries of torch/lib go next to libdrumsplit_torch.so, which finds
# them through its $ORIGIN run path; libtorch_python (which needs a Python)
# stays behind.
RUN set -eu; \
    torch_dir="$(cd / && /opt/torch/bin/python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')"; \
    make LIBTORCH="$torch_dir"; \
    mkdir -p /out/bin /out/models; \
    cp bin/drumsplit bin/libdrumsplit_torch.so /out/bin/; \
    cp -a "$torch_dir"/lib/*.so* /out/bin/; \
    rm -f /out/bin/libtorch_python.so; \
    if [ -d models ]; then cp -R models/. /out/models/; fi

# ---------------------------------------------------------------- CPU image
FROM debian:${DEBIAN_TAG}-slim AS cpu
COPY --from=build-cpu /out/ /opt/drumsplit/
# Fail the image build, not the first run, when libtorch cannot be loaded,
# and when it would drag OpenCV or FFmpeg into the image.
RUN set -eu; \
    deps="$(ldd /opt/drumsplit/bin/libdrumsplit_torch.so)"; \
    missing="$(printf '%s\n' "$deps" | grep 'not found' || true)"; \
    if [ -n "$missing" ]; then echo "libdrumsplit_torch.so: unresolved: $missing" >&2; exit 1; fi; \
    heavy="$(printf '%s\n' "$deps" | grep -E 'libopencv|libav(codec|format|util)|libsw(scale|resample)' || true)"; \
    if [ -n "$heavy" ]; then echo "libdrumsplit_torch.so: the CPU image must not need OpenCV or FFmpeg: $heavy" >&2; exit 1; fi; \
    /opt/drumsplit/bin/drumsplit version
ENV PATH=/opt/drumsplit/bin:$PATH
WORKDIR /data
VOLUME ["/data/in", "/data/out", "/models"]
ENTRYPOINT ["drumsplit"]
CMD ["--help"]

# ---------------------------------------------------------------- CUDA image
FROM ${TORCH_IMAGE}:${TORCH_TAG}-runtime AS cuda
COPY --from=build-cuda /out/ /opt/drumsplit/
# The library's run path names the torch/lib directory of the -devel image;
# check that the -runtime image has libtorch at the same place and that every
# dependency resolves. libcuda.so.1 and the other driver libraries are not in
# the image: the NVIDIA Container Toolkit mounts them when a GPU is exposed.
RUN set -eu; \
    want="$(cat /opt/drumsplit/torch-lib-dir)"; \
    have="$(cd / && python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"; \
    if [ "$want" != "$have" ]; then \
      echo "libtorch moved: built against $want, this image has $have; use the same TORCH_TAG for both stages" >&2; exit 1; \
    fi; \
    missing="$(ldd /opt/drumsplit/bin/libdrumsplit_torch.so | grep 'not found' | grep -v -e 'libcuda\.so' -e 'libnvidia-' || true)"; \
    if [ -n "$missing" ]; then echo "libdrumsplit_torch.so: unresolved: $missing" >&2; exit 1; fi; \
    version="$(/opt/drumsplit/bin/drumsplit version)"; \
    printf '%s\n' "$version"; \
    case "$version" in \
      *"libtorch: "*+cuda*) ;; \
      *) echo "the CUDA image's libtorch was built without CUDA (drumsplit version shows no +cuda)" >&2; exit 1 ;; \
    esac
# What the NVIDIA Container Toolkit exposes: the GPUs and the compute driver
# libraries (plus nvidia-smi, through "utility").
ENV PATH=/opt/drumsplit/bin:$PATH \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
WORKDIR /data
VOLUME ["/data/in", "/data/out", "/models"]
ENTRYPOINT ["drumsplit"]
CMD ["--help"]
