#!/usr/bin/env bash
# The README's test command: installs what is missing (Debian packages, then the pinned Python
# tools the API tests run), builds, and runs the whole test suite
# (it starts its own throwaway PostgreSQL cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
source scripts/tools.sh
swift build --build-tests
# A hung run fails with every thread's stack printed, long before CI's own limit.
bash scripts/watchdog.sh "${PROOFMARKET_TEST_TIMEOUT_SECONDS:-1800}" swift test --skip-build "$@"
