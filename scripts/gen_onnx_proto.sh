#!/usr/bin/env bash
# Regenerates Sources/Inference/ONNX/onnx.pb.swift from the official onnx.proto.
#
# Inputs:
#   scripts/proto/onnx.proto  copied from the `onnx` PyPI package (onnx 1.23.2:
#                             python3 -c "import onnx,os;print(os.path.dirname(onnx.__file__))")
#   protoc                    Debian's protobuf-compiler (apt-get install protobuf-compiler)
#   protoc-gen-swift          built from swift-protobuf at the version the package resolves
#                             (1.39.0); set PROTOC_GEN_SWIFT or let this script build it under
#                             .build-tools/ (about 3–10 minutes on two cores).
# The generated file is committed; run this only when onnx.proto or swift-protobuf changes.
set -euo pipefail
cd "$(dirname "$0")/.."

PROTOBUF_TAG="${PROTOBUF_TAG:-1.39.0}"
PROTOBUF_REPO="${PROTOBUF_REPO:-/opt/swift-packages/apple/swift-protobuf.git}"
TOOLS=.build-tools

if [[ -z "${PROTOC_GEN_SWIFT:-}" ]]; then
    if [[ ! -d "$TOOLS/swift-protobuf" ]]; then
        mkdir -p "$TOOLS"
        git clone -q "$PROTOBUF_REPO" "$TOOLS/swift-protobuf"
    fi
    git -C "$TOOLS/swift-protobuf" checkout -q "$PROTOBUF_TAG"
    (cd "$TOOLS/swift-protobuf" && swift build -c release --product protoc-gen-swift)
    PROTOC_GEN_SWIFT="$TOOLS/swift-protobuf/.build/release/protoc-gen-swift"
fi

protoc --version
protoc \
    --plugin=protoc-gen-swift="$PROTOC_GEN_SWIFT" \
    --swift_out=Sources/Inference/ONNX \
    --swift_opt=Visibility=Internal \
    --proto_path=scripts/proto \
    scripts/proto/onnx.proto
echo "wrote Sources/Inference/ONNX/onnx.pb.swift"
