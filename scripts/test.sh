#!/usr/bin/env bash
# Builds everything and runs every test: the release build's full suite, then the unit and
# end-to-end tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
ctest --preset release -j "$(nproc)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$(nproc)"
ctest --preset asan -j "$(nproc)" -L 'unit|e2e'
