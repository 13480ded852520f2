// swift-tools-version:6.0
import PackageDescription

/// ProofMarket: one package, one binary (`proofmarket`), layered as docs in DESIGN describe.
/// An arrow between layers is the only direction an `import` may point:
/// HTTPServer ← API → Market → Postgres, Market → Inference → ZKProof.
let package = Package(
    name: "ProofMarket",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "proofmarket", targets: ["ProofMarketCLI"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
    ],
    targets: [
        // C libraries, wrapped once each by the target that owns them.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CGMP", pkgConfig: "gmp", providers: [.apt(["libgmp-dev"])]),
        .target(name: "CSocketShim"),

        .target(name: "Postgres", dependencies: [
            "CLibPQ", "COpenSSL",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "HTTPServer", dependencies: [
            "CSocketShim", "COpenSSL",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["README.md"]),
        .target(name: "ZKProof", dependencies: ["COpenSSL", "CGMP"]),
        .target(name: "Inference", dependencies: [
            "ZKProof",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .executableTarget(name: "ProofMarketCLI", dependencies: [
            "Postgres", "HTTPServer", "ZKProof", "Inference",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Tests: one target per source target; shared fixtures live in TestSupport.
        .target(name: "TestSupport", dependencies: ["Postgres"], path: "Tests/TestSupport"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"]),
        .testTarget(name: "ZKProofTests", dependencies: ["ZKProof", "CGMP"]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "ZKProof"],
                    resources: [.copy("Fixtures")]),
    ]
)
