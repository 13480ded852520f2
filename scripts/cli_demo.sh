#!/usr/bin/env bash
# End-to-end check of the proof CLI on the bundled digits model (models/README.md):
# commit, prove, verify (VALID, exit 0), then three rejections (exit 1): another context
# (replay), a flipped proof byte, and another model's commitment.
#
#   scripts/cli_demo.sh                      # uses .build/debug/proofmarket (swift build first)
#   PROOFMARKET=path/to/proofmarket scripts/cli_demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PM="${PROOFMARKET:-.build/debug/proofmarket}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

"$PM" model commit models/digits-mlp.onnx --out "$WORK/digits.commitment"
"$PM" prove --model models/digits-mlp.onnx --input models/digits-input.json \
    --context job-1:worker-1:nonce-1 --out "$WORK/digits.proof"
"$PM" verify --commitment "$WORK/digits.commitment" --input models/digits-input.json \
    --proof "$WORK/digits.proof" --context job-1:worker-1:nonce-1

expect_invalid() {
    local what="$1"; shift
    if "$PM" verify "$@" > "$WORK/out" 2>&1; then
        echo "FAIL: $what was accepted"; cat "$WORK/out"; exit 1
    fi
    echo "rejected ($what): $(grep INVALID "$WORK/out" | cut -c1-100)"
}
expect_invalid "replayed for another worker" --commitment "$WORK/digits.commitment" \
    --input models/digits-input.json --proof "$WORK/digits.proof" --context job-1:worker-2:nonce-1
cp "$WORK/digits.proof" "$WORK/flipped.proof"
printf '\xff' | dd of="$WORK/flipped.proof" bs=1 seek=200 conv=notrunc 2>/dev/null
expect_invalid "flipped byte" --commitment "$WORK/digits.commitment" \
    --input models/digits-input.json --proof "$WORK/flipped.proof" --context job-1:worker-1:nonce-1
"$PM" model commit models/digits-mlp-large.onnx --out "$WORK/large.commitment" > /dev/null
expect_invalid "another model's commitment" --commitment "$WORK/large.commitment" \
    --input models/digits-input.json --proof "$WORK/digits.proof" --context job-1:worker-1:nonce-1
echo "cli demo: OK"
