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
        // The product's own files (migrations, the OpenAPI document, the demo's model and
        // digits) compiled into the binary, so it runs copied alone (Plugins/EmbedAssets).
        .executableTarget(name: "embed-assets", path: "Plugins/EmbedAssetsTool"),
        .plugin(name: "EmbedAssets", capability: .buildTool(), dependencies: ["embed-assets"]),
        .target(name: "BundledAssets", plugins: ["EmbedAssets"]),

        .target(name: "Postgres", dependencies: [
            "CLibPQ", "COpenSSL", "CSocketShim",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "HTTPServer", dependencies: [
            "CSocketShim", "COpenSSL",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["README.md"]),
        // Field arithmetic is ~50× slower unoptimised; optimise it in debug builds too so the
        // proof tests (thousands of proofs) run in seconds.
        .target(name: "ZKProof", dependencies: ["COpenSSL", "CGMP"], swiftSettings: [.unsafeFlags(["-O"])]),
        // The integer engine runs every inference the verifier checks (the whole graph, in
        // the clear); optimised in debug builds too, like ZKProof, so the model tests and the
        // test run's workers do not spend minutes in unoptimised loops.
        .target(name: "Inference", dependencies: [
            "ZKProof",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], swiftSettings: [.unsafeFlags(["-O"])]),
        .target(name: "Market", dependencies: [
            "Postgres", "Inference", "COpenSSL",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The admin dashboard's pages (Dashboard/) are embedded by BundledAssets, not compiled here.
        .target(name: "API", dependencies: [
            "Market", "HTTPServer", "BundledAssets",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Dashboard"]),
        .executableTarget(name: "ProofMarketCLI", dependencies: [
            "Postgres", "Market", "API", "HTTPServer", "ZKProof", "Inference", "BundledAssets",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Micro-benchmarks of the proof system (release builds only): `swift run -c release zkproof-bench`.
        .executableTarget(name: "zkproof-bench", dependencies: ["ZKProof", "Inference"], path: "Benchmarks/ZKProofBench"),

        // Tests: one target per source target; shared fixtures live in TestSupport.
        .target(name: "TestSupport", dependencies: ["Postgres"], path: "Tests/TestSupport"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .target(name: "MarketTestSupport", dependencies: ["Market", "Inference"], path: "Tests/MarketTestSupport",
                resources: [.copy("Fixtures")]),
        .testTarget(name: "APITests", dependencies: ["API", "Market", "HTTPServer", "TestSupport", "MarketTestSupport", "Postgres", "Inference"]),
        .testTarget(name: "MarketTests", dependencies: ["Market", "TestSupport", "MarketTestSupport", "Postgres", "Inference", "COpenSSL"]),
        .testTarget(name: "ProofMarketCLITests", dependencies: ["ProofMarketCLI", "BundledAssets"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "HTTPServer", "Postgres", "Market"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "CSocketShim"]),
        // A bare server in its own process, for HTTPServerTests that set process-wide limits.
        .executableTarget(name: "HTTPServerTestHost", dependencies: ["HTTPServer", .product(name: "Logging", package: "swift-log")],
                          path: "Tests/HTTPServerTestHost"),
        .testTarget(name: "ZKProofTests", dependencies: ["ZKProof", "CGMP"]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "ZKProof", "BundledAssets", "TestSupport", "CGMP"],
                    resources: [.copy("Fixtures")]),

        // The market cycle benchmark: Benchmarks/market/run.
        .executableTarget(name: "market-bench", dependencies: ["API", "Market", "HTTPServer", "Postgres", "Inference",
                                                               .product(name: "Logging", package: "swift-log")],
                          path: "Benchmarks/market/Bench"),

        // Verifiable-inference benchmark (release only): Benchmarks/zkml/run.
        .executableTarget(name: "zkml-bench", dependencies: ["Inference", "ZKProof"], path: "Benchmarks/zkml/Bench"),
    ]
)
