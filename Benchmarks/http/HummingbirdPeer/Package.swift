// swift-tools-version:6.0
import PackageDescription

/// The benchmark peer: Hummingbird 2 serving the same two routes as `ProofMarketHTTPBench`.
/// It lives in its own package so that nothing in `Sources/` can ever link SwiftNIO.
let package = Package(
    name: "HummingbirdPeer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    ],
    targets: [
        .executableTarget(name: "HummingbirdPeer", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
    ]
)
