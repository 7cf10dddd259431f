#!/usr/bin/env bash
# Installs the Debian 12 packages Nimbus needs to build, test and run, if any is missing.
# --test: also those only tests need (chromium: a page from another origin attacks Nimbus; clang:
# libFuzzer, for the fuzz smoke, with libclang-rt-14-dev: its runtime libraries, only recommended by clang;
# python3-pytest: the pytest plugin's own test, tests/e2e/test_pytest_fixture.py; file: CPack's .deb
# generator reads the binaries' types with it, tests/e2e/test_install.py).
# Needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libuv1-dev libjansson-dev libexpat1-dev node-llhttp libsqlite3-dev libssl-dev zlib1g-dev libcbor-dev
  libcriterion-dev
  python3 python3-boto3 python3-botocore awscli curl wrk bc valgrind
)
if [ "${1:-}" = "--test" ]; then PACKAGES+=(chromium clang libclang-rt-14-dev python3-pytest file); fi
# Node.js may come from elsewhere (e.g. NodeSource, which bundles npm): only the commands matter.
command -v node >/dev/null || PACKAGES+=(nodejs)
command -v npm >/dev/null || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "nimbus: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
