#!/bin/sh
# hello-sh: a static site served by busybox httpd.
#   app.sh serve [PORT]   serve www/ (default port 8080)
#   app.sh --version      print the version
#   app.sh --selftest     serve on a loopback port, fetch / and /healthz, print them and exit
set -eu
VERSION=1.0.0
HERE=$(cd "$(dirname "$0")" && pwd)

case "${1:-serve}" in
  --version)
    echo "hello-sh $VERSION" ;;
  --selftest)
    port=18080
    httpd -f -p "127.0.0.1:$port" -h "$HERE/www" &
    pid=$!
    trap 'kill "$pid" 2>/dev/null || true' EXIT
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      wget -q -O /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
      sleep 0.2
    done
    for path in / /healthz; do
      printf 'GET %s -> %s' "$path" "$(wget -q -O - "http://127.0.0.1:$port$path")"
      echo
    done ;;
  serve)
    echo "hello-sh $VERSION listening on ${2:-8080}"
    exec httpd -f -p "${2:-8080}" -h "$HERE/www" ;;
  *)
    echo "usage: app.sh serve [PORT] | --version | --selftest" >&2
    exit 2 ;;
esac
