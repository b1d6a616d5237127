#!/usr/bin/env bash
# build-example-images.sh - (re)build the small example images committed in examples/images/,
# so `make demo` can inspect real images on a machine with no container engine.
#
#   examples/images/go-minimal.oci/      examples/go (Dockerfile), OCI image layout directory
#   examples/images/busybox-fat.tar      examples/busybox (Dockerfile.fat), docker-archive
#   examples/images/busybox-minimal.tar  examples/busybox (Dockerfile), docker-archive
#
# Reproducible: built with `buildah bud --timestamp 0` from local stand-in base images (see
# tests/harness/README.md). Needs buildah, podman, skopeo, debootstrap, busybox-static
# (scripts/system-deps.sh). Usage: bash scripts/build-example-images.sh [DEST]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEST=${1:-$ROOT/examples/images}
PY=${PYTHON:-python3}
"$PY" "$ROOT/tests/harness/build.py" ship "$DEST"
# the committed images must stay small: report what they weigh
du -sh "$DEST"/* >&2
du -sh "$DEST" >&2
