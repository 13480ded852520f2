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
limit="${PROOFMARKET_TEST_TIMEOUT_SECONDS:-1800}"
if [ "$#" -gt 0 ]; then
  exec bash scripts/watchdog.sh "$limit" swift test --skip-build "$@"
fi
# The whole suite, in three runs. The suites that measure time against a limit (socket
# timeouts, statement timeouts, a frozen database, a replayed simulation) run first, alone;
# then everything else but the private-proof suites that keep both cores busy for
# minutes (10,000 mutations; 256 proofs attacked; private proofs of convolutional networks,
# LeNet-5 among them); then those, alone. Run together, the proving tests took the cores from
# suites that wait on sockets and clocks, whose waits overran their bounds (an event stream's
# request timed out beside the mutations once; a webhook delivery waited past a hanging
# receiver's 10 s timeout beside the LeNet-5 proofs once).
timed='HTTPServerTests\.|PostgresTests\.|APITests\.FrozenDatabaseTests|MarketTests\.SimulationTests'
heavy='InferenceTests\.PrivateProofSoundnessTests|InferenceTests\.PrivateProofAuditTests|InferenceTests\.PrivatePoolingTests|InferenceTests\.PrivateConvolutionTests'
bash scripts/watchdog.sh "$limit" swift test --skip-build --filter "$timed"
bash scripts/watchdog.sh "$limit" swift test --skip-build --skip "$timed|$heavy"
bash scripts/watchdog.sh "$limit" swift test --skip-build --filter "$heavy"
