#!/usr/bin/env bash
# The README's main command: installs what is missing, builds in release mode, and runs
# the most complete thing that works today on an embedded PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
swift build -c release --product proofmarket
# Until `proofmarket demo` lands, the most complete working step: migrate the embedded database.
exec .build/release/proofmarket migrate "$@"
