#!/bin/sh
# setup.sh — one command from a fresh Debian 12 machine to a built lconv:
#   ./setup.sh run     install dependencies, build, train GCN on Zachary's karate club
#   ./setup.sh check   install dependencies, build, run every test suite (make check,
#                      then under valgrind, then in a sanitizer build in ./build-sanitize)
#   ./setup.sh build   install dependencies and build only
# The build goes to ./build (out of tree). Set LCONV_CONFIGURE_FLAGS to pass
# options to configure (e.g. --without-cuda).
set -eu
cd "$(dirname "$0")"
mode=${1:-run}
case $mode in run|check|build) ;; *) echo "usage: $0 run|check|build" >&2; exit 2 ;; esac

packages=$(grep -v '^#' tools/debian-packages | tr '\n' ' ')
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup.sh: installing$missing"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $missing
fi

jobs=$(nproc 2>/dev/null || echo 2)
[ -x configure ] || autoreconf -fi
mkdir -p build
cd build
# CI builds with warnings as errors; users get warnings only.
werror=""; [ -n "${CI:-}" ] && werror=--enable-werror
[ -f Makefile ] || ../configure $werror ${LCONV_CONFIGURE_FLAGS:-}
make -j"$jobs"

case $mode in
run)
    ./lcnet train --data karate --model gcn:16,relu,gcn --seeds 10
    ;;
check)
    # every suite, the C suites again under valgrind (no invalid access, no
    # leak), then every suite once more in an AddressSanitizer + UBSan build
    status=0
    make -j"$jobs" check || status=$?
    make -j"$jobs" check-valgrind || status=$?
    mkdir -p ../build-sanitize
    (cd ../build-sanitize &&
        { [ -f Makefile ] || ../configure --enable-sanitizers $werror ${LCONV_CONFIGURE_FLAGS:-}; } &&
        make -j"$jobs" && make -j"$jobs" check) || status=$?
    sh ../tests/summary.sh tests ../build-sanitize/tests
    exit $status
    ;;
esac
