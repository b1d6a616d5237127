#!/bin/sh
# run: sh tests/test_app.sh   (needs busybox or wget + httpd on PATH)
set -eu
out=$(sh "$(dirname "$0")/../app.sh" --selftest)
echo "$out" | grep -q 'GET /healthz -> ok' || { echo "FAIL: $out"; exit 1; }
echo PASS
