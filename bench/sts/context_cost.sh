#!/usr/bin/env bash
# Builds bench/sts/context_cost.c against this tree's build (BUILD, default build/) and, when
# BASE names another source tree built in BASE/build, against that one too (no registry there),
# and prints the nanoseconds nb__context_from_request takes per request for each kind of key.
#   bench/sts/context_cost.sh            BASE=/path/to/older/tree
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LIBS="$(pkg-config --libs libuv jansson expat sqlite3 openssl zlib libcbor) -ldl -lm -lpthread"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # tree build defines
  cc -O2 -std=gnu11 ${3:-} -DNB_CORE_INTERNAL -I"$1/core" -I"$1/include" -I"$2/include" bench/sts/context_cost.c \
    "$2/libnimbus_core.a" "$2/libllhttp.a" $LIBS -o "$tmp/cost"
  "$tmp/cost"
}
echo "this tree ($BUILD):"
run . "$BUILD" -DNB_REGISTRY
if [ -n "${BASE:-}" ]; then
  cmake --build "$BASE/build" --target nimbus_core >/dev/null
  echo "base ($BASE):"
  run "$BASE" "$BASE/build"
fi
