#!/usr/bin/env bash
# Installs what is missing, builds Nimbus (Release) and runs it on 127.0.0.1:4566.
# Settings come from the environment or flags (see: build/nimbus --help), e.g.
#   SERVICES=s3,sqs PERSISTENCE=1 tools/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec build/nimbus "$@"
