#!/usr/bin/env bash
# The README's main command: installs what is missing, builds in release mode, and runs
# `proofmarket demo` on an embedded PostgreSQL (coordinator, two workers, a client).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
swift build -c release --product proofmarket
exec .build/release/proofmarket demo "$@"
