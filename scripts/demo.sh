#!/usr/bin/env bash
# demo.sh - show finalstage on the examples: lint each fat and minimal Dockerfile side by side
# (the fat one should fail with findings, the minimal one pass), then inspect the example images
# shipped in examples/images/ (no container engine needed), gate them with check, and end with
# a slim of the fat busybox image: before/after size, then `ls /` of the result, read from the
# written archive (the seed's `docker run --rm myapp ls /`, daemonless). With podman installed
# the slim is also verified by running both images with the same probe.
#
# Usage: bash scripts/demo.sh [FINALSTAGE]      (default: `finalstage` on PATH)
#        (`make demo` runs: bash scripts/demo.sh .venv/bin/finalstage)
#
# Exit 1 from lint is the expected verdict on a fat Dockerfile and never stops the demo. The
# script exits 1 only when a command errored (exit >= 2, e.g. a crash) or could not run at all.
set -uo pipefail

FS=${1:-finalstage}
# a relative path is resolved before the cd below
case $FS in */*) [ -d "$(dirname "$FS")" ] && FS=$(cd "$(dirname "$FS")" && pwd)/$(basename "$FS") ;; esac
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
if ! command -v "$FS" >/dev/null 2>&1; then
  echo "demo: finalstage executable not found: $FS (run: make install)" >&2
  exit 1
fi
TIMEOUT=${DEMO_TIMEOUT:-300}
EXAMPLES=(go node python busybox)

if [ -t 1 ]; then B=$'\e[1m' D=$'\e[2m' R=$'\e[0m'; else B='' D='' R=''; fi
errors=0
declare -A VERDICT

banner() { printf '\n%s==== %s ====%s\n' "$B" "$*" "$R"; }

# show CMD... : print the command line, run it with a time limit, return its exit status
show() {
  printf '%s$ %s%s\n' "$D" "${*/#$FS/finalstage}" "$R"
  timeout "$TIMEOUT" "$@"
  local rc=$?
  if [ "$rc" -eq 124 ]; then echo "demo: timed out after ${TIMEOUT}s" >&2; fi
  if [ "$rc" -ge 2 ]; then errors=$((errors + 1)); fi
  printf '%s(exit %d)%s\n' "$D" "$rc" "$R"
  return "$rc"
}

verdict() {   # exit code -> word for the summary table
  case $1 in 0) echo pass ;; 1) echo "fail (findings)" ;; 124) echo "timeout" ;; *) echo "error ($1)" ;; esac
}

banner "finalstage $("$FS" --version 2>/dev/null || echo '?')"

for ex in "${EXAMPLES[@]}"; do
  for df in Dockerfile.fat Dockerfile; do
    f=examples/$ex/$df
    [ -f "$f" ] || continue
    banner "lint $f"
    show "$FS" lint "$f"
    VERDICT[$f]=$(verdict $?)
  done
done

banner "summary: lint, fat vs minimal (expected: fat fails, minimal passes)"
printf '%-10s %-22s %-22s\n' example Dockerfile.fat "Dockerfile (minimal)"
for ex in "${EXAMPLES[@]}"; do
  printf '%-10s %-22s %-22s\n' "$ex" "${VERDICT[examples/$ex/Dockerfile.fat]:-missing}" \
    "${VERDICT[examples/$ex/Dockerfile]:-missing}"
done

# the shipped images: read straight from disk, no daemon
shopt -s nullglob
images=(examples/images/*.oci examples/images/*.tar)
if [ ${#images[@]} -eq 0 ]; then
  echo "demo: no images in examples/images (build them: bash scripts/build-example-images.sh)" >&2
fi
for img in "${images[@]}"; do
  banner "inspect $img"
  show "$FS" inspect "$img"
  banner "ls $img /"
  show "$FS" ls "$img" /
done

# the CI gate: the same policy on the fat and the minimal busybox image, every finding tied to
# its Dockerfile line (expected: fat fails with exit 1, minimal passes with exit 0)
for pair in "busybox-fat.tar:Dockerfile.fat" "busybox-minimal.tar:Dockerfile"; do
  img=examples/images/${pair%%:*} df=examples/busybox/${pair##*:}
  [ -f "$img" ] || continue
  banner "check $img --dockerfile $df --policy examples/finalstage.toml"
  show "$FS" check "$img" --dockerfile "$df" --policy examples/finalstage.toml
  VERDICT[$img]=$(verdict $?)
done
banner "summary: check, fat vs minimal (expected: fat fails, minimal passes)"
printf '%-28s %s\n' examples/images/busybox-fat.tar "${VERDICT[examples/images/busybox-fat.tar]:-missing}"
printf '%-28s %s\n' examples/images/busybox-minimal.tar "${VERDICT[examples/images/busybox-minimal.tar]:-missing}"

# slim: the fat busybox image shrunk to what its CMD needs, with the reason for every kept file
img=examples/images/busybox-fat.tar
if [ -f "$img" ]; then
  slimdir=$(mktemp -d "${TMPDIR:-/tmp}/finalstage-demo.XXXXXX")
  slimmed="$slimdir/busybox-slim.oci.tar"
  banner "slim $img"
  show "$FS" slim "$img" -o "oci-archive:$slimmed" --probe-cmd "/app/app.sh --selftest"
  banner "ls of the slim image (no daemon, nothing run)"
  show "$FS" ls "oci-archive:$slimmed" / -l
  rm -rf "$slimdir"
fi

if [ "$errors" -gt 0 ]; then
  printf '\ndemo: %d command(s) failed with an error (exit >= 2)\n' "$errors" >&2
  exit 1
fi
printf '\ndemo: done\n'
