#!/usr/bin/env bash
# Refreshes tests/proto/vectors/ (AWS's protocol test suites) from botocore's test tree.
#
#   tools/refresh-protocol-vectors.sh SOURCE
#
# SOURCE is one of: a botocore source checkout (holds tests/unit/protocols/), botocore's
# sdist (botocore-X.Y.Z.tar.gz, e.g. from `pip download --no-binary :all: --no-deps
# botocore==X.Y.Z`), or a protocols folder itself (holds input/ and output/). Without SOURCE
# it looks next to the installed botocore (an editable install keeps its tests there); wheels
# do not ship the tests. Writes SOURCE.txt (version, sha256 of every file) beside the suites,
# then run the protocol tests: ctest --test-dir build -R test_protocol_vectors.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=tests/proto/vectors
src=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -z "$src" ]; then
  pkg=$(python3 -c 'import botocore, os; print(os.path.dirname(os.path.dirname(botocore.__file__)))')
  src=$pkg
fi
if [ -f "$src" ]; then # an sdist
  tar -xzf "$src" -C "$tmp"
  src=$(find "$tmp" -maxdepth 1 -mindepth 1 -type d | head -1)
fi
if [ -d "$src/tests/unit/protocols" ]; then
  root=$src
  src=$src/tests/unit/protocols
fi
if [ ! -d "$src/input" ] || [ ! -d "$src/output" ] || [ ! -f "$src/protocol-tests-ignore-list.json" ]; then
  echo "refresh-protocol-vectors: no botocore protocol tests in '$src'" >&2
  echo "  give a botocore source tree, its sdist (.tar.gz) or its tests/unit/protocols folder" >&2
  exit 2
fi
version=unknown
if [ -n "${root:-}" ] && [ -f "$root/botocore/__init__.py" ]; then
  version=$(sed -n "s/^__version__ = '\(.*\)'/\1/p" "$root/botocore/__init__.py")
fi

rm -rf "$dest/input" "$dest/output" "$dest/legacy"
cp -r "$src/input" "$src/output" "$dest/"
if [ -d "$src/legacy" ]; then cp -r "$src/legacy" "$dest/"; fi
cp "$src/protocol-tests-ignore-list.json" "$dest/"
{
  echo "botocore $version (tests/unit/protocols), refreshed $(date -u +%Y-%m-%d) by tools/refresh-protocol-vectors.sh"
  (cd "$dest" && find input output legacy protocol-tests-ignore-list.json -type f 2>/dev/null | sort | xargs sha256sum)
} > "$dest/SOURCE.txt"
echo "refreshed $dest from botocore $version; now run: ctest --test-dir build -R test_protocol_vectors"
