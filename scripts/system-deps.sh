#!/usr/bin/env bash
# Install the Debian packages the test-suite needs, only when one is missing.
# Runs as root on CI and fresh machines; elsewhere it prints what is missing and carries on
# (the engine tests then skip with that reason).
set -euo pipefail
PKGS=(buildah podman skopeo umoci runc docker-registry debootstrap busybox-static uidmap fuse-overlayfs openssl time rpm chromium fonts-dejavu-core strace openjdk-17-jre-headless)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: missing Debian packages (not root, not installing): ${missing[*]}" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
