#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the whole test suite
# (it starts its own throwaway PostgreSQL cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
swift build --build-tests
swift test --skip-build "$@"
